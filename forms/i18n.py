"""The package's own sentences go through flask_babel (which also works without an app).

Messages a definition supplies (``ui:errorMessages``, titles, help) are shown as written.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import ngettext as babel_ngettext


def _(text: str, **values: Any) -> str:
    """``text`` in the current locale, with ``%(name)s`` placeholders filled from ``values``."""
    return str(gettext(text, **values))


def ngettext(singular: str, plural: str, num: int, **values: Any) -> str:
    """The singular or plural form for ``num`` in the current locale (``%(num)d`` is ``num``)."""
    return str(babel_ngettext(singular, plural, num, **values))
