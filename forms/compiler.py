"""compile_form: JSON Schema + uiSchema → a cached FlaskForm subclass."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any

from jsonschema import FormatChecker
from jsonschema.validators import Draft202012Validator, validator_for
from wtforms.fields.core import UnboundField

from forms import names
from forms import schema as schemas
from forms.composites import ObjectNode
from forms.context import Context
from forms.converters import convert
from forms.errors import FormCompileError
from forms.fields import ScalarField
from forms.form import TesseraForm
from forms.nodes import Node
from forms.rows import FIELD_CLASSES

CACHE_SIZE = 512
FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER

_lock = threading.Lock()
_by_hash: OrderedDict[str, type[TesseraForm]] = OrderedDict()
# Warm path: the same dict objects passed again skip hashing. Entries keep the dicts alive
# (so ids are not reused) and are checked for equality-by-identity only.
_by_id: OrderedDict[tuple[int, int, int], tuple[Any, Any, Any, type[TesseraForm]]] = OrderedDict()


def compile_form(
    schema: Any, ui_schema: Any = None, resolver: Any = None, *, key: str | None = None
) -> type[TesseraForm]:
    """Compile (or fetch from the cache) the form class for a schema and uiSchema.

    Schemas are treated as immutable values: the warm path recognises the very same dict
    objects by identity, so mutate a copy, never a schema already compiled. Equal schemas
    in new dicts are found by the sha256 of their JSON (about 1 ms for 500
    fields); callers that already have a content id (say "template 12, version 3") can pass
    it as ``key`` to skip hashing.
    """
    id_key = (id(schema), id(ui_schema), id(resolver))
    hit = _by_id.get(id_key)
    if hit is not None and hit[0] is schema and hit[1] is ui_schema and hit[2] is resolver:
        return hit[3]
    if key is not None:
        key = f"key:{key}" if resolver is None else f"key:{key}:{id(resolver)}"
    else:
        key = content_key(schema, ui_schema, resolver)
    with _lock:
        cls = _by_hash.get(key)
        if cls is not None:
            _by_hash.move_to_end(key)
    if cls is None:
        cls = build_form(schema, ui_schema, resolver)
        with _lock:
            cls = _by_hash.setdefault(key, cls)
            while len(_by_hash) > CACHE_SIZE:
                _by_hash.popitem(last=False)
    with _lock:
        _by_id[id_key] = (schema, ui_schema, resolver, cls)
        while len(_by_id) > CACHE_SIZE:
            _by_id.popitem(last=False)
    return cls


def content_key(schema: Any, ui_schema: Any, resolver: Any) -> str:
    """sha256 of the JSON of (schema, ui_schema), plus the resolver's identity.

    In the documents' own key order: the order of `properties` is the order of the form, so
    two schemas differing only in it compile to different classes.
    """
    try:
        text = json.dumps([schema, ui_schema or {}], separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise FormCompileError("", f"schema is not JSON: {exc}") from exc
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return digest if resolver is None else f"{digest}:{id(resolver)}"


def clear_cache() -> None:
    """Forget every compiled form (tests)."""
    with _lock:
        _by_hash.clear()
        _by_id.clear()


def cache_size() -> int:
    """Number of compiled classes held."""
    return len(_by_hash)


def build_form(schema: Any, ui_schema: Any = None, resolver: Any = None) -> type[TesseraForm]:
    """Compile without the cache."""
    if not isinstance(schema, dict | bool):
        raise FormCompileError("", "the schema must be a JSON object or a boolean")
    if ui_schema is not None and not isinstance(ui_schema, dict):
        raise FormCompileError("", "the uiSchema must be a JSON object")
    schemas.check_shape(schema)
    declared = isinstance(schema, dict) and "$schema" in schema
    working = schemas.upgrade(schema) if not declared or schemas.is_draft7(schema) else schema
    registry, base = schemas.build_registry(working, resolver)
    if declared and schemas.is_draft7(schema):
        cls_validator = validator_for(schema)
        validator = cls_validator(schema, registry=registry, format_checker=FormatChecker())
    else:
        validator = Draft202012Validator(working, registry=registry, format_checker=FORMAT_CHECKER)
    ctx = Context(validator, convert)
    root = convert(working, ui_schema or {}, "", ctx, registry.resolver(base))
    root.required = True
    if isinstance(root, ObjectNode):
        root.root = True
        unbound = [_unbound(m, m.name_suffix, m.ptr_suffix) for m in root.members]
    else:
        unbound = [_unbound(root, "", "")]
    title = root.title or "Form"
    attrs: dict[str, Any] = {
        "schema": schema,
        "ui_schema": ui_schema or {},
        "warnings": list(ctx.warnings),
        "_tf_root": root,
        "_tf_validator": validator,
        "_tf_resolver": resolver,  # kept alive: the cache key holds its id()
        "__doc__": f"Compiled form: {title}",
    }
    cls = type("CompiledForm", (TesseraForm,), attrs)
    cls._unbound_fields = [(f"f{i}", u) for i, u in enumerate(unbound)]  # type: ignore[attr-defined]
    return cls


def _unbound(node: Node, name: str, pointer: str) -> UnboundField[Any]:
    field_class = FIELD_CLASSES.get(node.kind, ScalarField)
    return UnboundField(field_class, node, name=name or names.ROOT_NAME, pointer=pointer)
