"""How console pages show stored values: times to the minute, nothing as a dash, skills as tags.

Flask-AppBuilder's model views (`formatters_columns`) and Flask-Admin's tables
(`column_type_formatters`) call these; Tessera's own pages call them through their views. The
Jinja macro `when` of the definitions console writes times with the same `MINUTE` format.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from markupsafe import Markup

MINUTE = "%Y-%m-%d %H:%M"
DASH = "—"
# A skill: Bootstrap's label, wrapping when it is longer than its column (labels do not).
TAG = Markup(
    '<span class="label label-info tessera-tag" '
    'style="display:inline-block;white-space:normal;overflow-wrap:anywhere;'
    'text-align:left;margin:0 3px 3px 0">{}</span>'
)


def minute(value: datetime | None) -> str:
    """`value` to the minute (`2025-03-01 14:05`); nothing for no value."""
    return value.strftime(MINUTE) if value is not None else ""


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
