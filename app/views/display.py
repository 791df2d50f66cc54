"""How console pages show stored values: times to the minute in the viewer's zone, nothing as
a dash, skills as tags.

Flask-AppBuilder's model views (`formatters_columns`) and Flask-Admin's tables
(`column_type_formatters`) call these; Tessera's own pages call them through their views, and
templates through the `minute` filter (the definitions console's `when` macro).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from typing import Any

from flask import has_request_context
from flask_babel import get_timezone
from markupsafe import Markup

MINUTE = "%Y-%m-%d %H:%M"
DASH = "—"
# A skill: Bootstrap's label, wrapping when it is longer than its column (labels do not).
TAG = Markup(
    '<span class="label label-info tessera-tag" '
    'style="display:inline-block;white-space:normal;overflow-wrap:anywhere;'
    'text-align:left;margin:0 3px 3px 0">{}</span>'
)


def viewer_zone() -> tzinfo:
    """The zone pages show times in: Flask-Babel's, i.e. the browser's (`app.web.
    browser_timezone`), else BABEL_DEFAULT_TIMEZONE; UTC outside a request."""
    return (get_timezone() if has_request_context() else None) or UTC


def zone_name() -> str:
    """The viewer's zone as people read it in a column header (`Asia/Shanghai`, `UTC`)."""
    zone = viewer_zone()
    return str(getattr(zone, "zone", None) or zone)


def minute(value: datetime | None) -> str:
    """`value` to the minute in the viewer's zone (`2025-03-01 14:05`); nothing for no value.

    A naive value is UTC (SQLite gives stored times back without their offset).
    """
    if value is None:
        return ""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(viewer_zone()).strftime(MINUTE)


def or_dash(value: Any) -> Any:
    """`value`, or a dash when there is none (None or an empty text)."""
    return DASH if value is None or value == "" else value


def skill_tags(skills: Iterable[str] | None) -> Markup:
    """One tag per skill, escaped; a dash when there are none."""
    tags = [TAG.format(skill) for skill in skills or ()]
    return Markup(" ").join(tags) if tags else Markup(DASH)


def minute_cell(view: Any, value: datetime, name: str) -> str:
    """A Flask-Admin type formatter: `minute` of a datetime cell."""
    return minute(value)
