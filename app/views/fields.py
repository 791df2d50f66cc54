"""WTForms fields the console's model views share."""

from __future__ import annotations

import re
from typing import Any

from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_babel import gettext as _
from wtforms import Field, Form, SelectField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]

_SKILL = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


class TagListField(Field):
    """A comma-separated text input holding a list of lowercase tags (skills)."""

    widget = BS3TextFieldWidget()

    def _value(self) -> str:
        return ", ".join(self.data or [])

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            self.data = []
            return
        tags: list[str] = []
        for position, raw in enumerate(str(valuelist[0]).split(","), start=1):
            tag = raw.strip().lower()
            if not tag:
                continue
            if not _SKILL.fullmatch(tag):
                self.data = []
                # The input is not echoed: FAB renders field errors through gettext, whose
                # result Jinja treats as safe markup (no escaping).
                raise ValueError(
                    f"Skill {position} is not a valid skill: use letters, digits, '-' or '_' "
                    "(at most 40 characters)."
                )
            if tag not in tags:
                tags.append(tag)
        self.data = tags


def choice_field(label: str, values: list[tuple[str, str]], description: str = "") -> SelectField:
    """A select of fixed string values, built with SelectChoice (tuples are deprecated)."""
    return SelectField(
        label,
        description=description,
        choices=[SelectChoice(value, text) for value, text in values],
        widget=Select2Widget(),
    )


def refuse_nul(form: Form) -> bool:
    """Mark each input holding a NUL character as wrong; True when there was one.

    PostgreSQL stores no NUL in text: validators that query the value (a unique check) and the
    insert itself would fail with a 500, so none of them runs on such a form.
    """
    found = False
    for field in form:
        raw_data = getattr(field, "raw_data", None) or ()  # form fields hold no raw data
        if any(isinstance(raw, str) and "\x00" in raw for raw in raw_data):
            field.errors = [_("Must not contain NUL characters.")]
            found = True
    return found
