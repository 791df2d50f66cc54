"""Checks the data-driven cases themselves, without the form compiler.

* every ``tests/forms/cases/*.json`` parses and has the JSON-Schema-Test-Suite shape;
* every schema is a valid schema (Draft 2020-12 meta-schema; draft-07 for the few groups that
  declare it to exercise draft-7 keywords), and its root describes an object (a form);
* every test's ``valid`` equals jsonschema's verdict (with format checking, and the field
  library of ``suite.FIELD_LIBRARY`` for ``$ref: field:...``);
* the valid data keeps to what an HTML form can post exactly (see ``representability_problems``);
* together the cases cover every bullet of issue 3's "What must compile and work" list.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator, validators

try:
    from tests.forms import suite
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    import suite  # type: ignore[no-redef]

FILES = suite.case_files()
GROUP_KEYS = {"description", "schema", "uiSchema", "tests", "comment"}
TEST_KEYS = {"description", "data", "valid", "comment"}


def _groups() -> Iterator[tuple[str, int, dict[str, Any]]]:
    for path in FILES:
        for i, group in enumerate(suite.load_groups(path)):
            yield path.stem, i, group


GROUPS = list(_groups())
CASES = list(suite.iter_cases())


def test_there_are_enough_cases() -> None:
    assert len(FILES) >= 10
    assert len(GROUPS) >= 80, f"only {len(GROUPS)} groups"


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_file_shape(path: Path) -> None:
    groups = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(groups, list) and groups, "a file is a non-empty JSON array of groups"
    seen: set[str] = set()
    for group in groups:
        assert isinstance(group, dict)
        assert set(group) <= GROUP_KEYS, set(group) - GROUP_KEYS
        assert {"description", "schema", "tests"} <= set(group)
        desc = group["description"]
        assert isinstance(desc, str) and desc.strip(), desc
        assert desc not in seen, f"duplicate group description {desc!r}"
        seen.add(desc)
        assert isinstance(group["schema"], dict)
        assert group["schema"].get("type") == "object", f"{desc}: root schema must be an object"
        if "uiSchema" in group:
            assert isinstance(group["uiSchema"], dict)
        tests = group["tests"]
        assert isinstance(tests, list) and tests
        seen_tests: set[str] = set()
        for test in tests:
            assert isinstance(test, dict) and set(test) <= TEST_KEYS, test
            assert {"description", "data", "valid"} <= set(test)
            assert isinstance(test["description"], str) and test["description"].strip()
            assert test["description"] not in seen_tests, test["description"]
            seen_tests.add(test["description"])
            assert isinstance(test["data"], dict), "forms post objects"
            assert isinstance(test["valid"], bool)
        assert any(t["valid"] for t in tests), f"{desc}: no valid data"


@pytest.mark.parametrize(
    "group", [g for _, _, g in GROUPS], ids=[f"{f}/{g['description']}" for f, _, g in GROUPS]
)
def test_schema_is_valid(group: dict[str, Any]) -> None:
    schema = group["schema"]
    cls = validators.validator_for(schema, default=Draft202012Validator)
    if cls is Draft7Validator:
        # only to exercise draft-7 keywords (items array, additionalItems, dependencies)
        Draft7Validator.check_schema(schema)
    else:
        assert cls is Draft202012Validator, cls
        Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_valid_flag_matches_jsonschema(case: suite.Case) -> None:
    verdict = suite.reference_validator(case.schema).is_valid(case.data)
    assert verdict == case.valid


# ---------------------------------------------------------------------------------------------
# representability of the valid data


def representability_problems(value: Any, path: str = "") -> Iterator[str]:
    """What an HTML form cannot post exactly, in the conventions the cases keep to.

    * no empty string: an empty input means "absent" (or ``null`` for a nullable field);
    * no control characters other than newline (NUL cannot be posted at all; a single-line
      input drops CR/LF) and no lone surrogates (a browser posts U+FFFD instead). Leading and
      trailing spaces are allowed: browsers post them and the compiler does not strip;
    * no empty array or object: zero rows / an all-empty fieldset read back as "absent";
    * no NaN or infinities (not JSON).
    Booleans are always present in valid data (an unchecked box posts nothing and reads as
    ``false``); that one is a property of the schema and is left to review.
    """
    if isinstance(value, str):
        if value == "":
            yield f"{path}: empty string"
        if any((ord(c) < 32 and c != "\n") or 0xD800 <= ord(c) <= 0xDFFF for c in value):
            yield f"{path}: control character or lone surrogate"
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            yield f"{path}: not finite"
    elif isinstance(value, list):
        if not value:
            yield f"{path}: empty array"
        for i, item in enumerate(value):
            yield from representability_problems(item, f"{path}/{i}")
    elif isinstance(value, dict):
        if not value and path:
            yield f"{path}: empty object"
        for k, item in value.items():
            yield from representability_problems(item, f"{path}/{k}")


VALID = [c for c in CASES if c.valid]


@pytest.mark.parametrize("case", VALID, ids=[c.id for c in VALID])
def test_valid_data_is_representable(case: suite.Case) -> None:
    problems = list(representability_problems(case.data))
    assert not problems


# ---------------------------------------------------------------------------------------------
# coverage of issue 3's bullets


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield k, v
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def _usage() -> dict[str, set[Any]]:
    keys: set[str] = set()
    formats: set[str] = set()
    types: set[str] = set()
    ui_keys: set[str] = set()
    widgets: set[str] = set()
    ui_options: set[str] = set()
    enum_value_types: set[str] = set()
    for _, _, group in GROUPS:
        for k, v in _walk(group["schema"]):
            keys.add(k)
            if k == "format" and isinstance(v, str):
                formats.add(v)
            if k == "type" and isinstance(v, str | list):
                types.update(t for t in (v if isinstance(v, list) else [v]) if isinstance(t, str))
            if k == "enum" and isinstance(v, list):
                enum_value_types.update(type(x).__name__ for x in v)
        for k, v in _walk(group.get("uiSchema", {})):
            if k.startswith("ui:"):
                ui_keys.add(k)
            if k == "ui:widget" and isinstance(v, str):
                widgets.add(v)
            if k == "ui:options" and isinstance(v, dict):
                ui_options.update(v)
    return {
        "keys": keys,
        "formats": formats,
        "types": types,
        "ui_keys": ui_keys,
        "widgets": widgets,
        "ui_options": ui_options,
        "enum_value_types": enum_value_types,
    }


BULLETS: dict[str, dict[str, set[Any]]] = {
    "scalars": {
        "keys": {
            "minLength",
            "maxLength",
            "pattern",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
            "const",
            "default",
            "readOnly",
        },
        "formats": {"email", "uri", "date", "date-time", "time", "tessera-legacy-ref"},
        "types": {"string", "number", "integer", "boolean", "null"},
    },
    "choices": {
        "keys": {"enum", "oneOf", "anyOf", "uniqueItems"},
        "ui_keys": {"ui:enumNames"},
        "enum_value_types": {"str", "int", "float", "bool", "dict", "NoneType"},
    },
    "structure": {
        "keys": {
            "properties",
            "items",
            "minItems",
            "maxItems",
            "prefixItems",
            "additionalItems",
            "additionalProperties",
            "patternProperties",
        },
    },
    "references": {"keys": {"$ref", "$defs", "definitions", "$id", "$anchor"}},
    "combinators and conditions": {
        "keys": {
            "allOf",
            "oneOf",
            "anyOf",
            "if",
            "then",
            "else",
            "dependentRequired",
            "dependentSchemas",
            "dependencies",
        },
    },
    "files": {"keys": {"contentMediaType"}, "formats": {"data-url"}, "ui_options": {"accept"}},
    "uiSchema": {
        "ui_keys": {
            "ui:order",
            "ui:title",
            "ui:description",
            "ui:help",
            "ui:placeholder",
            "ui:autofocus",
            "ui:disabled",
            "ui:readonly",
            "ui:widget",
            "ui:options",
            "ui:classNames",
            "ui:field",
        },
        "widgets": {
            "text",
            "textarea",
            "password",
            "email",
            "uri",
            "hidden",
            "select",
            "radio",
            "checkbox",
            "checkboxes",
            "updown",
            "range",
            "date",
            "datetime",
            "time",
            "color",
            "file",
        },
        "ui_options": {"rows", "inputType", "label", "orderable", "addable", "removable", "accept"},
    },
    "names": {
        "keys": {
            "a property",
            "a.b",
            "a/b",
            "客户 名称",
            "data",
            "meta",
            "validate",
            "csrf_token",
            "__class__",
            "0",
        },
    },
    "validation-only keywords": {
        "keys": {
            "not",
            "minProperties",
            "maxProperties",
            "propertyNames",
            "contains",
            "unevaluatedProperties",
        },
    },
}


@pytest.mark.parametrize("bullet", sorted(BULLETS))
def test_cases_cover_bullet(bullet: str) -> None:
    usage = _usage()
    missing = {
        kind: sorted(map(str, wanted - usage[kind]))
        for kind, wanted in BULLETS[bullet].items()
        if wanted - usage[kind]
    }
    assert not missing, f"{bullet}: not covered by any case: {missing}"


def test_order_wildcard_is_covered() -> None:
    orders = [v for _, _, g in GROUPS for k, v in _walk(g.get("uiSchema", {})) if k == "ui:order"]
    assert any("*" in order for order in orders)


def test_unknown_widget_and_field_are_covered() -> None:
    known = BULLETS["uiSchema"]["widgets"]
    uses = [
        (k, v)
        for _, _, g in GROUPS
        for k, v in _walk(g.get("uiSchema", {}))
        if k in ("ui:widget", "ui:field")
    ]
    assert any(k == "ui:widget" and v not in known for k, v in uses)
    assert any(k == "ui:field" for k, v in uses)
