"""The template builder's pure modules (app/static/tessera/builder), run in Node.

`builder_harness.mjs` reads a template's parts as the editor shows them (`editor.split`), runs
builder actions on them and answers every part's text after each action and after undoing them
all. The documents: the demo templates, the form compiler's case schemas (tests/forms/cases)
and random template bodies (the definitions fuzz strategy). The properties:

- read → write back gives the editor's text byte for byte (keys, order, numbers as written);
- any actions, then undo of each, give the text back byte for byte;
- an action the builder refuses changes nothing;
- a keyword the builder does not know survives every action but deleting its field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.views import definition_editor as editor
from forms import compile_form
from tests.app.builder.node import NodeHarness, check_round_trip
from tests.app.test_definitions_fuzz import template_bodies
from tests.forms import suite

HERE = Path(__file__).resolve().parent
HARNESS = HERE / "builder_harness.mjs"
DEMO = Path(__file__).resolve().parents[3] / "app" / "demo" / "definitions"
PARTS = ("schema", "uiSchema", "settings")
PROPERTIES = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _load(kind: str) -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((DEMO / kind).glob("*.json"))}


TEMPLATES = _load("template")
LIBRARY = {key: {"schema": f["schema"], "ui": f.get("ui", {})} for key, f in _load("field").items()}
CASES = list(
    {
        json.dumps([c.schema, c.ui_schema]): {"schema": c.schema, "uiSchema": c.ui_schema or {}}
        for c in suite.iter_cases()
        if isinstance(c.schema, dict)
    }.values()
)


class Harness(NodeHarness):
    """The template builder's harness (builder_harness.mjs)."""

    def __init__(self) -> None:
        super().__init__(HARNESS)

    def ask(
        self, parts: dict[str, str], actions: list[dict[str, Any]], pointers: Sequence[str] = ()
    ) -> dict[str, Any]:
        request = {
            "parts": parts,
            "library": LIBRARY,
            "actions": actions,
            "pointers": list(pointers),
        }
        return self.send(request)


@pytest.fixture(scope="module")
def builder() -> Iterator[Harness]:
    harness = Harness()
    yield harness
    harness.close()


def texts(body: dict[str, Any]) -> dict[str, str]:
    """The parts the builder edits, as the editor's textareas hold them."""
    shown = editor.split("template", {"title": "", **body})
    return {name: shown[name] for name in PARTS}


def finite(value: Any) -> bool:
    """False when the JSON text of `value` needs NaN or Infinity (Python writes them)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(finite(v) for v in value.values())
    if isinstance(value, list):
        return all(finite(v) for v in value)
    return True


def surrogate_free(value: Any) -> bool:
    """False for text a database refuses (lone surrogates): no editor ever shows it."""
    if isinstance(value, str):
        return not any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict):
        return all(surrogate_free(k) and surrogate_free(v) for k, v in value.items())
    if isinstance(value, list):
        return all(surrogate_free(v) for v in value)
    return True


# -- generated actions --------------------------------------------------------------------------

picks = st.integers(min_value=0, max_value=40)
words = st.one_of(
    st.just(""),
    st.sampled_from(["Name", "名称 (name)", "a/b~c", "0", "10", "__proto__"]),
    st.text(max_size=8).filter(surrogate_free),
)
names = st.sampled_from(["a", "b", "summary", "10", "__proto__", "x y", "new"])


# The palette's basic types, in its order (app/static/tessera/builder/actions.js).
BASIC_TYPES = [
    "text", "textarea", "number", "integer", "date", "datetime", "email", "phone", "url",
    "choice", "multi", "yesno", "file", "group", "rows",
]  # fmt: skip


# A condition's test of the field at index `pick` of the same container (condition.js OPS).
OPS = ["is", "isNot", "oneOf", "gt", "gte", "lt", "lte", "empty", "filled"]
tests = st.fixed_dictionaries(
    {
        "pick": picks,
        "op": st.sampled_from(OPS),
        "value": st.sampled_from(["other", 1, 2.5, True, ["a", "b"], [], None]),
    }
)


def action(do: str, **members: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"do": st.just(do), **members})


EDITS = [
    action("addField", box=picks, type=st.sampled_from(BASIC_TYPES), title=words),
    action("addLibraryField", box=picks, key=st.sampled_from(sorted(LIBRARY))),
    action("moveBy", pick=picks, by=st.sampled_from([-1, 1])),
    action("move", pick=picks, index=st.integers(min_value=0, max_value=8)),
    action("moveInto", pick=picks, toBox=picks),
    action("rename", pick=picks, to=names),
    *(
        action(do, pick=picks, value=words)
        for do in (
            "setLabel",
            "setHelp",
            "setPlaceholder",
            "setDescription",
            "setPattern",
        )
    ),
    *(
        action(do, pick=picks, value=st.booleans())
        for do in (
            "setRequired",
            "setReadOnly",
            "setHidden",
        )
    ),
    action(
        "setDefault", pick=picks, value=st.sampled_from(["", "1", "2.50", "x", "true", "option_1"])
    ),
    action(
        "setLimit",
        pick=picks,
        keyword=st.sampled_from(
            ["minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems"]
        ),
        value=st.sampled_from(["", "0", "3", "1.0", "-1", "1e2", "x"]),
    ),
    action("setMessage", pick=picks, keyword=st.just("pattern"), value=words),
    action(
        "setWidget", pick=picks, value=st.sampled_from(["", "radio", "select", "textarea", "nope"])
    ),
    action("addOption", pick=picks, value=st.sampled_from(["x", "2", "option_1"]), label=words),
    action(
        "setOptionValue", pick=picks, index=st.integers(0, 3), value=st.sampled_from(["y", "7"])
    ),
    action("setOptionLabel", pick=picks, index=st.integers(0, 3), value=words),
    action("removeOption", pick=picks, index=st.integers(0, 3)),
    action("moveOption", pick=picks, index=st.integers(0, 3), by=st.sampled_from([-1, 1])),
    *(action(do, pick=picks, test=tests) for do in ("showWhen", "requireWhen")),
    action("removeCondition", pick=picks, rule=picks),
    action("setMatch", pick=picks, rule=picks, match=st.sampled_from(["all", "any"])),
    action("addTest", pick=picks, rule=picks, test=tests),
    action("setTest", pick=picks, rule=picks, index=st.integers(0, 2), test=tests),
    action("removeTest", pick=picks, rule=picks, index=st.integers(0, 2)),
]
keeping = st.lists(st.one_of(*EDITS), max_size=8)  # every action but delete
actions = st.lists(st.one_of(*EDITS, action("delete", pick=picks)), max_size=8)

documents = st.one_of(
    st.sampled_from(sorted(TEMPLATES)).map(lambda key: TEMPLATES[key]),
    st.sampled_from(CASES),
    template_bodies.filter(lambda body: surrogate_free(body)),
)


PROBE = {"kept": [1.0, 12345678901234567890, "中"]}
SUBSCHEMA = ("items", "if", "then", "else", "not", "additionalProperties")
SUBSCHEMAS = ("allOf", "anyOf", "oneOf", "prefixItems")


def probed_schema(schema: Any, where: str = "") -> Any:
    """`schema` with an unknown keyword `x-probe` in it and in every subschema."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    for key in ("properties", "$defs", "dependentSchemas"):
        if isinstance(schema.get(key), dict):
            out[key] = {n: probed_schema(v, f"{where}/{key}/{n}") for n, v in schema[key].items()}
    for key in SUBSCHEMA:
        out[key] = probed_schema(schema[key], f"{where}/{key}") if key in schema else None
    for key in SUBSCHEMAS:
        if isinstance(schema.get(key), list):
            out[key] = [probed_schema(v, f"{where}/{key}/{i}") for i, v in enumerate(schema[key])]
    out = {k: v for k, v in out.items() if v is not None or schema.get(k, 0) is None}
    out["x-probe"] = {"at": where, **PROBE}
    return out


def probed_ui(ui: Any, where: str = "") -> Any:
    """`ui` with an unknown keyword `ui:x-probe` in every uiSchema object."""
    if not isinstance(ui, dict):
        return ui
    out = {k: v if k.startswith("ui:") else probed_ui(v, f"{where}/{k}") for k, v in ui.items()}
    out["ui:x-probe"] = {"at": where, **PROBE}
    return out


PROBES = {"schema": probed_schema, "uiSchema": probed_ui}


# -- properties ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_demo_template_reads_and_writes_back_unchanged(builder: Harness, key: str) -> None:
    parts = texts(TEMPLATES[key])
    answer = builder.ask(parts, [])
    assert answer["read"] == parts
    kinds = {f["name"]: f["kind"] for f in answer["fields"]}
    assert "other" not in kinds.values(), kinds  # the builder understands every demo field


@PROPERTIES
@given(body=documents, steps=actions)
def test_actions_then_undo_restore_the_document_byte_for_byte(
    builder: Harness, body: dict[str, Any], steps: list[dict[str, Any]]
) -> None:
    parts = texts(body)
    answer = builder.ask(parts, steps)
    if not finite(body):
        assert "unreadable" in answer  # NaN / Infinity: the JSON tab only
        return
    check_round_trip(answer, parts)


@PROPERTIES
@given(body=documents, steps=keeping)
def test_an_unknown_keyword_survives_every_action(
    builder: Harness, body: dict[str, Any], steps: list[dict[str, Any]]
) -> None:
    assume(finite(body))
    body = {name: PROBES.get(name, lambda v: v)(body[name]) for name in PARTS if name in body}
    parts = texts(body)
    answer = builder.ask(parts, steps)
    check_round_trip(answer, parts)
    first = answer["probesRead"]
    assert first and answer["probes"] == first
    for step in answer["steps"]:
        assert step["probes"] == first, f"an unknown keyword changed after {step['action']}"


# -- examples -----------------------------------------------------------------------------------


def run(builder: Harness, body: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The parts (as JSON) after `steps`, checking the round trip on the way."""
    parts = texts(body)
    answer = builder.ask(parts, steps)
    check_round_trip(answer, parts)
    refused = [(step["action"], step["refused"]) for step in answer["steps"] if "refused" in step]
    assert refused == []
    last = answer["steps"][-1]
    return {name: json.loads(text) if text else None for name, text in last["parts"].items()}


def test_numbers_member_order_and_odd_names_are_kept(builder: Harness) -> None:
    schema = (
        '{\n  "type": "object",\n  "properties": {\n    "b": {\n      "type": "number",\n'
        '      "minimum": 1.0,\n      "maximum": 123456789012345678901234567890\n    },\n'
        '    "10": {\n      "type": "string"\n    },\n    "__proto__": {\n      "type": "string"\n'
        "    }\n  }\n}"
    )
    answer = builder.ask(
        {"schema": schema, "uiSchema": ""}, [{"do": "setHelp", "pick": 1, "value": "x"}]
    )
    assert answer["read"]["schema"] == schema
    assert [f["name"] for f in answer["fields"]] == ["b", "10", "__proto__"]
    assert answer["steps"][0]["parts"]["schema"] == schema
    assert answer["steps"][0]["parts"]["uiSchema"] == '{\n  "10": {\n    "ui:help": "x"\n  }\n}'


def test_a_duplicate_member_is_not_read(builder: Harness) -> None:
    answer = builder.ask({"schema": '{"type": "object", "type": "object"}'}, [])
    assert "Duplicate key" in answer["unreadable"]


def test_move_into_a_group_takes_the_field_with_its_ui_and_required_mark(builder: Harness) -> None:
    body = {
        "schema": {
            "type": "object",
            "properties": {
                "a": {"type": "string", "title": "A"},
                "g": {"type": "object", "properties": {"b": {"type": "string"}}},
                "lib": {"$ref": "field:summary"},
            },
            "required": ["a"],
        },
        "uiSchema": {"a": {"ui:widget": "textarea"}},
    }
    answer = builder.ask(
        texts(body),
        [
            {"do": "moveInto", "field": {"where": [], "name": "a"}, "to": ["g"]},
            {"do": "moveInto", "field": {"where": [], "name": "lib"}, "to": ["g"]},
            {"do": "moveInto", "field": {"where": [], "name": "g"}, "to": ["g"]},
        ],
    )
    first, library, itself = answer["steps"]
    assert json.loads(first["parts"]["schema"])["properties"] == {
        "g": {
            "type": "object",
            "properties": {"b": {"type": "string"}, "a": {"type": "string", "title": "A"}},
            "required": ["a"],
        },
        "lib": {"$ref": "field:summary"},
    }
    assert "required" not in json.loads(first["parts"]["schema"])
    assert json.loads(first["parts"]["uiSchema"]) == {"g": {"a": {"ui:widget": "textarea"}}}
    assert "top of the form" in library["refused"] and library["unchanged"]
    assert "inside itself" in itself["refused"] and itself["unchanged"]
    assert answer["restored"] == texts(body)


def test_move_follows_ui_order_and_expands_the_star(builder: Harness) -> None:
    body = {
        "schema": {"type": "object", "properties": {"a": {}, "b": {}, "c": {}, "d": {}}},
        "uiSchema": {"ui:order": ["d", "*", "late"]},
    }
    after = run(builder, body, [{"do": "moveBy", "pick": 0, "by": 1}])  # d below a
    assert list(after["schema"]["properties"]) == ["a", "b", "c", "d"]  # untouched
    assert after["uiSchema"]["ui:order"] == ["a", "d", "b", "c", "*", "late"]
    after = run(builder, {"schema": body["schema"]}, [{"do": "move", "pick": 3, "index": 0}])
    assert list(after["schema"]["properties"]) == ["d", "a", "b", "c"]


def test_rename_follows_required_order_ui_and_settings(builder: Harness) -> None:
    body = {
        "schema": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
        "uiSchema": {"ui:order": ["a", "*"], "a": {"ui:help": "h"}},
        "settings": {"subject": "/a", "list_columns": ["a"], "filters": ["a"]},
    }
    after = run(builder, body, [{"do": "rename", "pick": 0, "to": "x/y"}])
    assert after["schema"] == {
        "type": "object",
        "properties": {"x/y": {"type": "string"}},
        "required": ["x/y"],
    }
    assert after["uiSchema"] == {"ui:order": ["x/y", "*"], "x/y": {"ui:help": "h"}}
    assert after["settings"] == {"subject": "/x~1y", "list_columns": ["x/y"], "filters": ["x/y"]}


def test_rename_delete_and_move_into_follow_the_settings(builder: Harness) -> None:
    body = {
        "schema": {
            "type": "object",
            "properties": {
                "a": {"type": "object", "properties": {"b": {"type": "string"}}},
                "c": {"type": "string"},
                "g": {"type": "object", "properties": {}},
            },
        },
        "uiSchema": {},
        "settings": {"subject": "/c", "list_columns": ["/a/b", "/c"], "filters": ["c"], "x": 1.0},
    }
    renamed = run(builder, body, [{"do": "rename", "field": {"where": [], "name": "a"}, "to": "z"}])
    assert renamed["settings"]["list_columns"] == ["/z/b", "/c"]
    deleted = run(builder, body, [{"do": "delete", "field": {"where": [], "name": "c"}}])
    assert deleted["settings"] == {"list_columns": ["/a/b"], "filters": [], "x": 1.0}
    moved = run(
        builder, body, [{"do": "moveInto", "field": {"where": [], "name": "a"}, "to": ["g"]}]
    )
    assert moved["settings"] == {
        "subject": "/c",
        "list_columns": ["/c"],
        "filters": ["c"],
        "x": 1.0,
    }


def test_enum_options_keep_their_representation(builder: Harness) -> None:
    body = TEMPLATES["refund"]
    reason = 4  # summary, order_number, refund_amount, currency, reason
    after = run(
        builder,
        body,
        [
            {"do": "setOptionLabel", "pick": reason, "index": 0, "value": "Twice"},
            {"do": "addOption", "pick": reason, "value": "late", "label": "Late (迟到)"},
            {"do": "moveOption", "pick": reason, "index": 6, "by": -1},
            {"do": "removeOption", "pick": reason, "index": 1},
        ],
    )
    schema = after["schema"]["properties"]["reason"]
    assert schema["enum"] == [
        "duplicate_charge",
        "defective_product",
        "not_delivered",
        "price_difference",
        "late",
        "other",
    ]
    assert after["uiSchema"]["reason"]["ui:enumNames"][0] == "Twice"
    assert after["uiSchema"]["reason"]["ui:enumNames"][4] == "Late (迟到)"


def test_labelled_options_of_a_new_choice(builder: Harness) -> None:
    after = run(
        builder,
        {"schema": {"type": "object"}},
        [
            {"do": "addField", "box": 0, "type": "choice", "name": "level", "title": "Level"},
            {"do": "setOptionValue", "pick": 0, "index": 0, "value": "low"},
            {"do": "setOptionLabel", "pick": 0, "index": 0, "value": "Low (低)"},
            {"do": "addOption", "pick": 0, "value": "high", "label": "High"},
            {"do": "removeOption", "pick": 0, "index": 1},
            {"do": "moveOption", "pick": 0, "index": 1, "by": -1},
            {"do": "setDefault", "pick": 0, "value": "low"},
            {"do": "setWidget", "pick": 0, "value": "radio"},
        ],
    )
    assert after["schema"]["properties"]["level"] == {
        "type": "string",
        "title": "Level",
        "oneOf": [{"const": "high", "title": "High"}, {"const": "low", "title": "Low (低)"}],
        "default": "low",
    }
    assert after["uiSchema"] == {"level": {"ui:widget": "radio"}}


def test_library_fields_only_at_the_top_and_refusals_change_nothing(builder: Harness) -> None:
    body = {"schema": {"type": "object", "properties": {"g": {"type": "object", "properties": {}}}}}
    answer = builder.ask(
        texts(body),
        [
            {"do": "addLibraryField", "box": 1, "key": "summary"},
            {"do": "setLimit", "pick": 0, "keyword": "maxLength", "value": "-1"},
        ],
    )
    assert [("refused" in s, s.get("unchanged")) for s in answer["steps"]] == [(True, True)] * 2


def test_every_basic_type_compiles_without_warnings(builder: Harness) -> None:
    steps = [{"do": "addField", "box": 0, "type": t, "title": t.title()} for t in BASIC_TYPES]
    after = run(builder, editor.starter("template"), steps)
    kinds = [
        f["kind"]
        for f in builder.ask(
            {k: editor.pretty(v) if v is not None else "" for k, v in after.items()}, []
        )["fields"]
    ]
    assert kinds == ["text", *BASIC_TYPES]
    form = compile_form(after["schema"], after["uiSchema"])
    assert form.warnings == []


def test_server_errors_find_their_field(builder: Harness) -> None:
    body = {
        "schema": {
            "type": "object",
            "properties": {
                "a/b": {"type": "string"},
                "g": {"type": "object", "properties": {"c": {"type": "string"}}},
                "r": {"type": "array", "items": {"type": "object", "properties": {"d": {}}}},
            },
            "required": ["g", "zz"],
        },
    }
    pointers = [
        "/schema/properties/a~1b/pattern",
        "/schema/properties/g/properties/c/maxLength",
        "/schema/properties/r/items/properties/d",
        "/schema/required/0",
        "/schema/required/1",
        "/uiSchema/a~1b/ui:widget",
        "/settings/subject",
        "/schema/allOf/0",
    ]
    answer = builder.ask(texts(body), [], pointers)
    assert answer["pointers"] == [
        {"where": [], "name": "a/b"},
        {"where": ["g"], "name": "c"},
        {"where": ["r"], "name": "d"},
        {"where": [], "name": "g"},
        None,
        {"where": [], "name": "a/b"},
        None,
        None,
    ]
