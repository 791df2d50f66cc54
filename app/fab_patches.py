"""Fixes for Flask-AppBuilder 5.3.0 behaviour that would answer 500 to bad input.

Applied once by `create_app`; each patch says what it fixes so it can go when FAB does.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from flask import abort, current_app
from flask_appbuilder.views import ModelView
from werkzeug.security import safe_join

_original_action_permission_name = ModelView.get_action_permission_name
_original_download = ModelView.download


def _action_permission_name(self: ModelView, name: str) -> Any:
    # FAB dereferences `self.actions.get(name).func` and raises AttributeError (a 500) for an
    # action name the view does not have, e.g. POST /users/action_post with action=nope.
    if name not in self.actions:
        abort(404, description=f"No action named {name!r}.")
    return _original_action_permission_name(self, name)


@functools.wraps(_original_download)  # keeps FAB's route and permission metadata
def _download(self: ModelView, filename: str) -> Any:
    # FAB's download raises IndexError/KeyError (a 500) for names it did not upload itself.
    # Permission is still checked first, by FAB's own wrapper, for users without it.
    if self.appbuilder.sm.has_access("can_download", self.class_permission_name):
        path = safe_join(current_app.config["UPLOAD_FOLDER"], filename)
        if "_sep_" not in filename or path is None or not Path(path).is_file():
            abort(404)
    return _original_download(self, filename)


def apply() -> None:
    """Install the patches (idempotent)."""
    ModelView.get_action_permission_name = _action_permission_name
    ModelView.download = _download
