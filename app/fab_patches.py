"""Fixes for Flask-AppBuilder 5.3.0 behaviour that would answer 500 to bad input (and for a
warning it logged on every sign-in).

Applied once by `create_app`; each patch says what it fixes so it can go when FAB does.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from flask import abort, current_app, request
from flask_appbuilder import baseviews, views
from flask_appbuilder.baseviews import BaseCRUDView
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.filters import Filters
from flask_appbuilder.models.sqla import filters as sqla_filters
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security import views as security_views
from flask_appbuilder.views import ModelView
from flask_babel import gettext as _
from sqlalchemy import BigInteger, Integer, SmallInteger, inspect
from werkzeug.security import safe_join

from app.limits import MAX_ID
from app.views.fields import refuse_nul

_original_action_permission_name = ModelView.get_action_permission_name
_original_download = ModelView.download
_original_set_value_to_type = sqla_filters.set_value_to_type
_original_add_filter_index = Filters.add_filter_index
_original_list_widget = BaseCRUDView._get_list_widget
_original_validate = DynamicForm.validate
_original_safe_redirect = security_views.get_safe_redirect


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


def _largest(column_type: Any) -> int:
    """The largest value an integer column holds (its pks are 32-bit ids)."""
    if isinstance(column_type, BigInteger):
        return 2**63 - 1
    if isinstance(column_type, SmallInteger):
        return 2**15 - 1
    return MAX_ID


def _whole_number(text: Any, largest: int) -> int | None:
    """`text` as a number 0 … `largest` written in ASCII digits, else None."""
    text = str(text)
    if text.isascii() and text.isdigit() and len(text) <= len(str(largest)):
        number = int(text)
        return number if number <= largest else None
    return None


def _set_value_to_type(datamodel: SQLAInterface, column_name: str, value: Any) -> Any:
    # FAB turns `<pk>` in /show/<pk>, /edit/<pk>, ... and integer filter values into ints of
    # any size, and PostgreSQL refuses those beyond the column ("integer out of range", a
    # 500). Such a value matches no row, as text that is no number already does (None).
    typed = _original_set_value_to_type(datamodel, column_name, value)
    if isinstance(typed, int) and not isinstance(typed, bool):
        largest = _largest(datamodel.list_columns[column_name].type)
        if not -largest - 1 <= typed <= largest:
            return None
    return typed


def _related_obj(self: SQLAInterface, col_name: str, value: Any) -> Any:
    # FAB looks the related row of a relation filter up with the legacy Query.get and the raw
    # filter text; an id no row can have finds nothing instead of a database error.
    model = self.get_related_model(col_name)
    keys = inspect(model).primary_key
    if len(keys) == 1 and isinstance(keys[0].type, Integer):
        value = _whole_number(value, _largest(keys[0].type))
        if value is None:
            return None
    return self.session.get(model, value)


def _add_filter_index(self: Filters, column_name: str, index: int, value: Any) -> Any:
    # `_flt_<index>_<column>=...` from the query string: FAB raises IndexError (a 500) for an
    # index past the column's filters, and PostgreSQL refuses NUL in text (a 500).
    if column_name in self._all_filters and index >= len(self._all_filters[column_name]):
        return None  # ignored, as FAB ignores a column it does not filter on
    if any("\x00" in str(text) for text in value):
        abort(400, description=_("Filter values must not contain NUL characters."))
    return _original_add_filter_index(self, column_name, index, value)


def _numbers_by_view(prefix: str) -> dict[str, int]:
    """{view: n} of the `<prefix><view>=n` query arguments with n in 0 … MAX_ID.

    FAB's own parsers call int() on them (a 500 for `page_X=abc`), and PostgreSQL refuses a
    negative or beyond-64-bit OFFSET or LIMIT (a 500). Other values are ignored: the default.
    """
    found: dict[str, int] = {}
    for arg, text in request.args.items():
        number = _whole_number(text, MAX_ID) if arg.startswith(prefix) else None
        if number is not None:
            found[arg[len(prefix) :]] = number
    return found


def _page_args() -> dict[str, int]:
    return _numbers_by_view("page_")


def _page_size_args() -> dict[str, int]:
    return _numbers_by_view("psize_")


def _list_widget(self: BaseCRUDView, *args: Any, **kwargs: Any) -> Any:
    # `_oc_<View>=<column>` orders by any text: a column the view does not order by makes
    # SQLAlchemy raise CompileError (a 500). It falls back to the view's base order.
    if kwargs.get("order_column") and kwargs["order_column"] not in (self.order_columns or []):
        kwargs["order_column"], kwargs["order_direction"] = "", ""
    return _original_list_widget(self, *args, **kwargs)


def _validate(self: DynamicForm, extra_validators: Any = None) -> bool:
    # NUL in any input: FAB's Unique validator queries it and PostgreSQL refuses it (a 500).
    if refuse_nul(self):
        return False
    return bool(_original_validate(self, extra_validators))


def _safe_redirect(url: str) -> str:
    # FAB's login reads `next` with "" as its default and checks that: every sign-in without a
    # `next` logged "Invalid redirect detected, falling back to index". No `next` is the index.
    if not url:
        return str(current_app.extensions["appbuilder"].get_url_for_index)
    return str(_original_safe_redirect(url))


def apply() -> None:
    """Install the patches (idempotent)."""
    security_views.get_safe_redirect = _safe_redirect  # the login views import it by name
    ModelView.get_action_permission_name = _action_permission_name
    ModelView.download = _download
    sqla_filters.set_value_to_type = _set_value_to_type
    SQLAInterface.get_related_obj = _related_obj
    Filters.add_filter_index = _add_filter_index
    for module in (baseviews, views):  # both import the parsers by name
        module.get_page_args = _page_args
        module.get_page_size_args = _page_size_args
    BaseCRUDView._get_list_widget = _list_widget
    DynamicForm.validate = _validate
