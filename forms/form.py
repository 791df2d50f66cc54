"""The base class of every compiled form (a Flask-WTF ``FlaskForm``)."""

from __future__ import annotations

import json
from datetime import tzinfo
from typing import Any, ClassVar

from flask import current_app, has_app_context, has_request_context
from flask_wtf import FlaskForm
from jsonschema.protocols import Validator
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.utils import cached_property

from forms import codec, messages, names, zones
from forms.composites import ObjectNode
from forms.fields import JsonField, text_problem
from forms.nodes import ABSENT, JSON, JSON_STATE, Node
from forms.rows import assemble, load_members

IMPLICIT: Any = object()  # "no formdata given": the request's, if there is a request


class TesseraMeta(FlaskForm.Meta):  # type: ignore[misc]
    """FlaskForm's Meta, usable without a Flask app: CSRF only inside an app context."""

    @cached_property
    def csrf(self) -> bool:
        """CSRF is on when an app is active and ``WTF_CSRF_ENABLED`` is true."""
        if not has_app_context():
            return False
        return bool(current_app.config.get("WTF_CSRF_ENABLED", True))

    def get_translations(self, form: Any) -> Any:
        """Flask-WTF's translations inside an app, WTForms' defaults outside."""
        if not has_app_context():
            return None
        return super().get_translations(form)


class TesseraForm(FlaskForm):  # type: ignore[misc]
    """A form compiled from a JSON Schema: posted data in, JSON instance out."""

    Meta = TesseraMeta

    def __init__(
        self, formdata: Any = IMPLICIT, *, timezone: str | tzinfo | None = None, **kwargs: Any
    ) -> None:
        """Read the request's form only when there is a request and no formdata is given.

        ``timezone``: the person's zone (an IANA name or a tzinfo; UTC when None), in which
        date-time and time inputs show and read wall-clock time (see ``forms.zones``).
        """
        self._tf_zone = zones.zone_of(timezone)
        if formdata is IMPLICIT:
            if has_request_context():
                super().__init__(**kwargs)  # Flask-WTF reads request.form and request.files
            else:
                super().__init__(formdata=None, **kwargs)
        else:
            super().__init__(formdata=formdata, **kwargs)

    schema: ClassVar[Any] = {}
    ui_schema: ClassVar[Any] = {}
    warnings: ClassVar[list[str]] = []
    _tf_root: ClassVar[Node]
    _tf_validator: ClassVar[Validator]

    _tf_hints: dict[str, str]
    _tf_original: JSON
    _tf_errors: dict[str, list[str]]

    @classmethod
    def encode(cls, instance: JSON) -> MultiDict[str, Any]:
        """The MultiDict a browser posts for the rendered form filled with ``instance``."""
        return codec.encode(cls._tf_root, instance)

    def process(
        self,
        formdata: Any = None,
        obj: Any = None,
        data: Any = None,
        extra_filters: Any = None,
        **kwargs: Any,
    ) -> None:
        """Read posted data; without it, take ``data`` (a JSON instance) or the defaults."""
        formdata = self.meta.wrap_formdata(self, formdata)
        self._tf_bad: list[JsonField] = []
        self._tf_errors = {}
        self._tf_root_json: JSON = ABSENT
        self._tf_original = data if data is not None else ABSENT
        fields = self._tf_fields = [f for f in self._fields.values() if isinstance(f, JsonField)]
        csrf_name = self.meta.csrf_field_name if self.meta.csrf else None
        if csrf_name is not None and csrf_name in self._fields:
            self._fields[csrf_name].process(formdata)
        if formdata is None:
            self._tf_hints = {}
            self._load(self._tf_original)
            return
        hints = self._tf_hints = codec.parse_hints(formdata)
        if hints and hints.get("") == JSON_STATE and self._read_root_json(formdata):
            return
        for field in fields:
            field.process(formdata)

    def _read_root_json(self, formdata: Any) -> bool:
        """Take the whole instance from JSON text (a root value no input can show).

        Only for what ``encode`` writes that way: a value the root's inputs can carry, or a
        read-only root, is read from the inputs instead (so no read-only value slips in).
        """
        root = self._tf_root
        try:
            value = json.loads(formdata.get(names.ROOT_NAME, ""))
        except ValueError:
            self.form_errors.append("Not valid JSON.")
            self._tf_root_json = None
            return True
        if root.accepts(value) or root.readonly or root.disabled:
            return False
        problem = text_problem(value)
        if problem is not None:
            self.form_errors.append(problem)
            self._tf_root_json = None
            return True
        self._tf_root_json = value
        return True

    def _load(self, value: JSON) -> None:
        root = self._tf_root
        if isinstance(root, ObjectNode):
            if value is ABSENT:
                value = root.default
            load_members(root, self._tf_fields, value)
        else:
            self._tf_fields[0].load(value)

    def to_instance(self) -> JSON:
        """The JSON instance the submission describes."""
        if self._tf_root_json is not ABSENT:
            return self._tf_root_json
        root = self._tf_root
        if isinstance(root, ObjectNode):
            return assemble(root, self._tf_fields, self._tf_hints)
        value = self._tf_fields[0].value
        return None if value is ABSENT else value

    @property
    def data(self) -> JSON:
        """The JSON instance (WTForms' per-field dict would be keyed by generated names)."""
        return self.to_instance()

    def validate(self, extra_validators: Any = None, *, instance: JSON = ABSENT) -> bool:
        """Reading checks, then jsonschema (the source of truth) on ``to_instance()``.

        ``instance``: the JSON to check instead, when the caller stores the submission in
        another shape (files kept elsewhere, referenced from the data); reading errors stay
        the post's.
        """
        self.form_errors: list[str] = list(self.form_errors)
        ok = not self.form_errors
        csrf_name = self.meta.csrf_field_name if self.meta.csrf else None
        if csrf_name is not None and csrf_name in self._fields:
            ok = self._fields[csrf_name].validate(self) and ok
        found: dict[str, list[str]] = {}
        for field in self._tf_bad:
            field.errors = list(field.process_errors)
            found.setdefault(field.pointer, []).extend(field.errors)
        if instance is ABSENT:
            instance = self.to_instance()
        schema_errors = instance_errors(type(self), instance)
        if found:
            schema_errors = {
                p: m for p, m in schema_errors.items() if not any(_under(p, b) for b in found)
            }
        for pointer, texts in schema_errors.items():
            found.setdefault(pointer, []).extend(texts)
        if self.form_errors:
            found.setdefault("", []).extend(self.form_errors)
        self._tf_errors = found
        if schema_errors:
            self._attach(schema_errors)
        return ok and not found

    def _attach(self, errors: dict[str, list[str]]) -> None:
        # The outermost field of a pointer takes its errors: an object's fieldset, not the
        # hidden extra-property rows or one alternative that share its pointer.
        by_pointer: dict[str, JsonField] = {}
        for top in self._tf_fields:
            for field in top.walk():
                by_pointer.setdefault(field.pointer, field)
        for pointer, texts in errors.items():
            target = pointer
            while target and target not in by_pointer:
                target = target[: target.rfind("/")]
            found_field = by_pointer.get(target) if target else None
            if found_field is None:
                self.form_errors.extend(t for t in texts if t not in self.form_errors)
            else:
                old = list(found_field.errors)
                found_field.errors = [*old, *(t for t in texts if t not in old)]

    def errors_by_pointer(self) -> dict[str, list[str]]:
        """Every problem found by ``validate()``, keyed by JSON pointer ("" = the form)."""
        csrf_name = self.meta.csrf_field_name if self.meta.csrf else None
        out = {p: list(m) for p, m in self._tf_errors.items()}
        if csrf_name is not None and csrf_name in self._fields:
            csrf_errors = list(self._fields[csrf_name].errors)
            if csrf_errors:
                out.setdefault("", []).extend(csrf_errors)
        return out

    def render(self, **options: Any) -> Markup:
        """Accessible Bootstrap HTML for the whole form body (not the <form> tag)."""
        from forms.widgets import render_form

        return render_form(self, **options)


def instance_errors(
    form: type[TesseraForm], instance: JSON, base: str = ""
) -> dict[str, list[str]]:
    """{pointer: [messages]} of a JSON instance against a compiled form's schema; {} if valid.

    No post and no fields: the validator built once with the form class (the same draft
    upgrade, ``$ref`` registry and format checker ``validate()`` uses), so a JSON API and the
    HTML form accept the same documents and say the same (``ui:errorMessages`` included).
    Every pointer is prefixed with ``base``. Integers beyond a float's range are reported as
    such first (no bound can be compared with them).
    """
    found = messages.out_of_range(instance) or messages.collect(
        form._tf_validator.iter_errors(instance), form._tf_root
    )
    return {base + pointer: texts for pointer, texts in found.items()} if base else found


def _under(pointer: str, base: str) -> bool:
    return pointer == base or pointer.startswith(base + "/")
