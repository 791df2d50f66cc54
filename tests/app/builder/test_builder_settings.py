"""The template builder's settings actions (app/static/tessera/builder/settings.js), run in Node.

`settings_harness.mjs` runs actions through actions.js's `perform` on a template's parts as the
editor shows them, and answers every part's text after each action, after undoing that action
alone and after redoing it, and after undoing them all. The fields the controls offer are the
server's answer (`app.views.builder.top_fields`) for the demo templates. The properties:

- each action, then its undo, gives the text back byte for byte; undoing all gives the start;
- an action the builder refuses changes nothing;
- members of `settings` the builder has no control for survive every action;
- what the actions write passes the template meta-schema's `settings` and the filter check;
- the server is asked about the fields once the form's text stops changing, with the text as
  written, and an answer about an older text is ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from app.definitions.checked import FieldVersion
from app.definitions.filterable import settings_errors
from app.definitions.schema_checks import resolve_fields
from app.views import definition_editor as editor
from app.views.builder import top_fields
from tests.app.builder.node import NodeHarness

HERE = Path(__file__).resolve().parent
HARNESS = HERE / "settings_harness.mjs"
ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "app" / "demo" / "definitions"
META = json.loads((ROOT / "app" / "definitions" / "schemas" / "template.json").read_text())
PARTS = ("schema", "uiSchema", "settings")
CHANNELS = ["agent", "web", "email", "api", "import"]
PALETTE = {
    "departments": [{"key": "billing", "name": "Billing"}, {"key": "repair", "name": "Repair"}],
    "workflows": [
        {"key": "refund", "title": "Refund", "published": True},
        {"key": "draft_flow", "title": "Draft flow", "published": False},
    ],
    "channels": CHANNELS,
}
TEMPLATES = {p.stem: json.loads(p.read_text()) for p in sorted((DEMO / "template").glob("*.json"))}
# A member of settings the builder has no control for, numbers to keep as written.
OWNER = {"team": "ops", "level": 1.0, "ticket": 12345678901234567890}


def lookup(key: str) -> FieldVersion | None:
    path = DEMO / "field" / f"{key}.json"
    return FieldVersion(key, 1, json.loads(path.read_text())) if path.exists() else None


def server_fields(schema: dict[str, Any], ui: dict[str, Any]) -> list[dict[str, Any]]:
    """What POST /definitions/builder/fields answers for this form."""
    resolved, merged, _pins, problems = resolve_fields(schema, ui, lookup)
    return top_fields(resolved, merged, problems)


def texts(body: dict[str, Any], settings_text: str | None = None) -> dict[str, str]:
    """The parts as the editor's textareas hold them (settings text as given, when given)."""
    shown = editor.split("template", {"title": "", **body})
    parts = {name: shown[name] for name in PARTS}
    if settings_text is not None:
        parts["settings"] = settings_text
    return parts


def with_unknown(settings_value: dict[str, Any]) -> str:
    """The settings' text as the editor shows it, with an unknown member first."""
    return json.dumps({"x-owner": OWNER, **settings_value}, indent=2, ensure_ascii=False)


class Harness(NodeHarness):
    """The settings harness (settings_harness.mjs)."""

    def __init__(self) -> None:
        super().__init__(HARNESS)

    def ask(
        self,
        parts: dict[str, str],
        actions: list[dict[str, Any]],
        fields: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        return self.send({"parts": parts, "actions": actions, "fields": fields, "palette": PALETTE})

    def watch(self, texts: list[tuple[str, str, int]], settle: int = 0) -> dict[str, Any]:
        """`watchSettings` after each (schema text, uiSchema text, ms to wait)."""
        return self.send({"watch": texts, "settle": settle})


@pytest.fixture(scope="module")
def builder() -> Iterator[Harness]:
    harness = Harness()
    yield harness
    harness.close()


def settings_after(step: dict[str, Any]) -> Any:
    text = step["parts"]["settings"]
    return json.loads(text) if text.strip() else None


def assert_steps_invert(parts: dict[str, str], answer: dict[str, Any]) -> None:
    """Each step's undo gives the text before it; redo the text after; all undone, the start."""
    assert answer["read"] == parts
    before = parts
    for step in answer["steps"]:
        if "refused" in step:
            assert step["unchanged"], step
        elif step["changed"]:
            assert step["undone"] == before
            assert step["redone"] == step["parts"]
        before = step["parts"]
    assert answer["restored"] == parts


# -- every action, then undo -------------------------------------------------------------------


def every_action(fields: list[dict[str, Any]], filters: list[str]) -> list[dict[str, Any]]:
    """One of each action, every one a change of the demo templates' settings."""
    text = [f["name"] for f in fields if f["text"] and f["name"] != "summary"]
    return [
        {"do": "setSubject", "name": text[0]},
        {"do": "setSubject", "name": ""},
        {"do": "addColumn", "name": text[-1]},
        {"do": "moveColumn", "index": 0, "by": 1},
        {"do": "removeColumn", "index": 0},
        {"do": "setFilter", "name": filters[0], "on": False},
        {"do": "setFilter", "name": filters[0], "on": True},
        {"do": "useEveryFilter"},
        {"do": "setDepartment", "key": "front_desk"},
        {"do": "setDepartment", "key": ""},
        {"do": "setWorkflow", "key": "draft_flow"},
        {"do": "setWorkflow", "key": ""},
        {"do": "setChannel", "name": "web", "on": True, "order": CHANNELS},
        {"do": "setChannel", "name": "agent", "on": True, "order": CHANNELS},
        {"do": "setChannel", "name": "web", "on": False, "order": CHANNELS},
    ]


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_each_settings_edit_then_undo_gives_the_text_back(builder: Harness, name: str) -> None:
    body = TEMPLATES[name]
    fields = server_fields(body["schema"], body.get("uiSchema", {}))
    parts = texts(body, with_unknown(body["settings"]))
    answer = builder.ask(parts, every_action(fields, body["settings"]["filters"]), fields)
    assert_steps_invert(parts, answer)
    assert all(step.get("changed") for step in answer["steps"]), answer["steps"]
    for step in answer["steps"]:
        written = step["parts"]["settings"]
        assert '"level": 1.0' in written and '"ticket": 12345678901234567890' in written
        assert step["parts"]["schema"] == parts["schema"]
        assert step["parts"]["uiSchema"] == parts["uiSchema"]
    final = settings_after(answer["steps"][-1])
    assert list(final)[0] == "x-owner"
    assert final["x-owner"] == OWNER


def test_an_empty_settings_text_comes_back_empty(builder: Harness) -> None:
    body = TEMPLATES["refund"]
    parts = texts(body, "")
    answer = builder.ask(parts, [{"do": "setDepartment", "key": "billing"}])
    assert settings_after(answer["steps"][0]) == {"default_department": "billing"}
    assert answer["steps"][0]["undone"]["settings"] == ""
    assert_steps_invert(parts, answer)


def test_settings_that_are_not_an_object_are_left_alone(builder: Harness) -> None:
    parts = texts(TEMPLATES["refund"], '[\n  "subject"\n]')
    fields = server_fields(TEMPLATES["refund"]["schema"], {})
    actions = every_action(fields, ["summary"])
    answer = builder.ask(parts, actions, fields)
    assert all("settings is not an object" in step["refused"] for step in answer["steps"])
    assert_steps_invert(parts, answer)
    assert answer["view"] == {"unreadable": True}


# -- what each control writes ------------------------------------------------------------------


def run(builder: Harness, settings_value: dict[str, Any], actions: list[dict[str, Any]]) -> Any:
    body = TEMPLATES["repair"]
    parts = texts(body, json.dumps(settings_value, indent=2))
    answer = builder.ask(parts, actions, server_fields(body["schema"], body.get("uiSchema", {})))
    assert_steps_invert(parts, answer)
    return answer


def test_subject_is_written_as_a_pointer_and_a_same_field_keeps_its_spelling(
    builder: Harness,
) -> None:
    answer = run(builder, {"subject": "summary"}, [
        {"do": "setSubject", "name": "summary"},
        {"do": "setSubject", "name": "serial_number"},
        {"do": "setSubject", "name": ""},
    ])  # fmt: skip
    steps = answer["steps"]
    assert not steps[0]["changed"] and settings_after(steps[0]) == {"subject": "summary"}
    assert settings_after(steps[1]) == {"subject": "/serial_number"}
    assert settings_after(steps[2]) == {}


def test_list_columns_add_reorder_and_remove(builder: Harness) -> None:
    answer = run(builder, {"list_columns": ["/product_model", "region"]}, [
        {"do": "addColumn", "name": "serial_number"},
        {"do": "addColumn", "name": "region"},  # there already, spelled as a name
        {"do": "moveColumn", "index": 2, "by": -1},
        {"do": "moveColumn", "index": 0, "by": -1},  # the first cannot go higher
        {"do": "moveColumn", "index": 0, "by": 1},
        {"do": "removeColumn", "index": 2},
        {"do": "removeColumn", "index": 5},
        {"do": "removeColumn", "index": 0},
        {"do": "removeColumn", "index": 0},
    ])  # fmt: skip
    columns = [(settings_after(s) or {}).get("list_columns") for s in answer["steps"]]
    assert columns == [
        ["/product_model", "region", "/serial_number"],
        ["/product_model", "region", "/serial_number"],
        ["/product_model", "/serial_number", "region"],
        ["/product_model", "/serial_number", "region"],
        ["/serial_number", "/product_model", "region"],
        ["/serial_number", "/product_model"],
        ["/serial_number", "/product_model"],
        ["/product_model"],
        None,  # the emptied list goes
    ]
    assert "is a column already" in answer["steps"][1]["refused"]
    assert not answer["steps"][3]["changed"]
    assert "there is no column 5" in answer["steps"][6]["refused"]


def test_filters_toggle_in_the_order_ticked(builder: Harness) -> None:
    answer = run(builder, {"filters": ["region"]}, [
        {"do": "setFilter", "name": "purchase_date", "on": True},
        {"do": "setFilter", "name": "region", "on": True},  # on already
        {"do": "setFilter", "name": "region", "on": False},
        {"do": "setFilter", "name": "purchase_date", "on": False},
        {"do": "setFilter", "name": "warranty_status", "on": True},
        {"do": "useEveryFilter"},
    ])  # fmt: skip
    filters = [(settings_after(s) or {}).get("filters") for s in answer["steps"]]
    assert filters == [
        ["region", "purchase_date"],
        ["region", "purchase_date"],
        ["purchase_date"],
        [],  # none ticked: no filters (absent would mean every filterable field)
        ["warranty_status"],
        None,
    ]


def test_channels_keep_the_palette_order(builder: Harness) -> None:
    order = {"order": CHANNELS}
    answer = run(builder, {"channels": ["email"]}, [
        {"do": "setChannel", "name": "import", "on": True, **order},
        {"do": "setChannel", "name": "agent", "on": True, **order},
        {"do": "setChannel", "name": "web", "on": True, **order},
        {"do": "setChannel", "name": "email", "on": False, **order},
        {"do": "setChannel", "name": "agent", "on": False, **order},
        {"do": "setChannel", "name": "web", "on": False, **order},
        {"do": "setChannel", "name": "import", "on": False, **order},
    ])  # fmt: skip
    channels = [(settings_after(s) or {}).get("channels") for s in answer["steps"]]
    assert channels == [
        ["email", "import"],
        ["agent", "email", "import"],
        ["agent", "web", "email", "import"],
        ["agent", "web", "import"],
        ["web", "import"],
        ["import"],
        None,
    ]


def test_department_and_workflow_are_set_and_cleared(builder: Harness) -> None:
    answer = run(builder, {"default_department": "repair", "workflow": "repair"}, [
        {"do": "setDepartment", "key": "billing"},
        {"do": "setWorkflow", "key": ""},
        {"do": "setWorkflow", "key": "refund"},
    ])  # fmt: skip
    final = settings_after(answer["steps"][-1])
    assert final == {"default_department": "billing", "workflow": "refund"}
    assert settings_after(answer["steps"][1]) == {"default_department": "billing"}


def test_a_list_that_is_not_a_list_is_refused(builder: Harness) -> None:
    answer = run(builder, {"filters": "region", "list_columns": {"a": 1}}, [
        {"do": "setFilter", "name": "region", "on": False},
        {"do": "addColumn", "name": "region"},
    ])  # fmt: skip
    assert "settings.filters is not a list" in answer["steps"][0]["refused"]
    assert "settings.list_columns is not a list" in answer["steps"][1]["refused"]


# -- what the controls offer -------------------------------------------------------------------


def test_the_controls_offer_the_servers_fields(builder: Harness) -> None:
    schema = {
        "type": "object",
        "properties": {
            "summary": {"$ref": "field:summary"},
            "photo": {"$ref": "field:photo"},
            "urgency": {"$ref": "field:urgency"},
            "address": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    fields = server_fields(schema, {})
    settings_value = {
        "subject": "/address/city",
        "list_columns": ["summary", "/address/city", "/gone"],
        "filters": ["photo", "urgency", "gone"],
        "channels": ["web"],
    }
    parts = texts({"schema": schema}, json.dumps(settings_value))
    view = builder.ask(parts, [], fields)["view"]
    assert [f["name"] for f in view["subject"]["options"]] == ["summary"]
    assert view["subject"]["field"] is None and view["subject"]["named"]["name"] == "address"
    assert [(c["entry"], c["name"], c["inside"]) for c in view["columns"]] == [
        ("summary", "summary", False), ("/address/city", "address", True), ("/gone", "gone", False),
    ]  # fmt: skip
    assert view["columns"][2]["field"] is None
    # "address" is shown only inside: it can still be added as a whole column.
    assert [f["name"] for f in view["addable"]] == ["photo", "urgency", "address"]
    rows = {r["name"]: r for r in view["filters"]["rows"]}
    assert list(rows) == ["summary", "urgency", "photo", "gone"]  # filterable ones, then strays
    assert rows["summary"]["checked"] is False and rows["urgency"]["checked"] is True
    assert rows["photo"]["stray"] and "file field" in rows["photo"]["field"]["reason"]
    assert rows["gone"]["stray"] and rows["gone"]["field"] is None
    assert [r["name"] for r in view["channels"]["rows"] if r["checked"]] == ["web"]
    assert view["loading"] is False
    assert builder.ask(parts, [], None)["view"]["loading"] is True


# -- random edits --------------------------------------------------------------------------------

SETTINGS_META = Draft202012Validator(META["properties"]["settings"])


@st.composite
def edits(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]]]:
    name = draw(st.sampled_from(sorted(TEMPLATES)))
    body = TEMPLATES[name]
    fields = server_fields(body["schema"], body.get("uiSchema", {}))
    names = [f["name"] for f in fields]
    filterable = [f["name"] for f in fields if f["filterable"]]
    text = [f["name"] for f in fields if f["text"]]
    action = st.one_of(
        st.builds(lambda n: {"do": "setSubject", "name": n}, st.sampled_from(["", *text])),
        st.builds(lambda n: {"do": "addColumn", "name": n}, st.sampled_from(names)),
        st.builds(lambda i: {"do": "removeColumn", "index": i}, st.integers(0, 5)),
        st.builds(
            lambda i, b: {"do": "moveColumn", "index": i, "by": b},
            st.integers(0, 5),
            st.sampled_from([-1, 1]),
        ),  # fmt: skip
        st.builds(
            lambda n, on: {"do": "setFilter", "name": n, "on": on},
            st.sampled_from(filterable),
            st.booleans(),
        ),  # fmt: skip
        st.just({"do": "useEveryFilter"}),
        st.builds(lambda k: {"do": "setDepartment", "key": k}, st.sampled_from(["", "repair"])),
        st.builds(lambda k: {"do": "setWorkflow", "key": k}, st.sampled_from(["", "refund"])),
        st.builds(
            lambda n, on: {"do": "setChannel", "name": n, "on": on, "order": CHANNELS},
            st.sampled_from(CHANNELS),
            st.booleans(),
        ),  # fmt: skip
    )
    return name, draw(st.lists(action, min_size=1, max_size=12))


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(edits())
def test_random_settings_edits_invert_and_stay_valid(
    builder: Harness, case: tuple[str, list[dict[str, Any]]]
) -> None:
    name, actions = case
    body = TEMPLATES[name]
    parts = texts(body, with_unknown(body["settings"]))
    answer = builder.ask(parts, actions)
    assert_steps_invert(parts, answer)
    resolved, _ui, _pins, _errors = resolve_fields(body["schema"], {}, lookup)
    for step in answer["steps"]:
        written = settings_after(step)
        assert written.pop("x-owner") == OWNER
        assert not list(SETTINGS_META.iter_errors(written)), written
        assert settings_errors(written, resolved) == {}


# -- asking the server ---------------------------------------------------------------------------


def form(answer: str, delay: int = 0, extra: str = "") -> str:
    """A schema text whose stub answer is one field named `answer`, `delay` ms late."""
    fields = [{"name": answer, "title": answer, "text": True, "filterable": True}]
    return f'{{"type": "object", "delay": {delay}, "x-answer": {json.dumps(fields)}{extra}}}'


def test_the_server_is_asked_once_the_typing_stops(builder: Harness) -> None:
    last = form("c", extra=', "minimum": 1.0')
    answer = builder.watch([(form("a"), "", 50), (form("b"), "", 50), (last, "", 450)])
    assert len(answer["asked"]) == 1
    asked = answer["asked"][0]
    assert asked["method"] == "POST" and asked["url"] == "/definitions/builder/fields"
    assert asked["csrf"] == "token-1"
    assert asked["body"] == '{"schema": ' + last + ', "uiSchema": {}}'  # as written: 1.0
    assert [f["name"] for f in answer["fields"]] == ["c"]
    assert answer["redraws"] == 1 and answer["failed"] == ""


def test_the_same_text_is_not_asked_again(builder: Harness) -> None:
    ui = '{"ui:order": ["a"]}'
    answer = builder.watch([(form("a"), "", 400), (form("a"), "", 400), (form("a"), ui, 400)])
    assert [a["body"].endswith('"uiSchema": {}}') for a in answer["asked"]] == [True, False]
    assert answer["asked"][1]["body"].endswith('"uiSchema": ' + ui + "}")


def test_an_answer_about_an_older_text_is_ignored(builder: Harness) -> None:
    # "old" is asked first but answered last, after "new" changed the form.
    answer = builder.watch([(form("old", delay=700), "", 400), (form("new"), "", 400)], 700)
    assert len(answer["asked"]) == 2
    assert [f["name"] for f in answer["fields"]] == ["new"]
    assert answer["redraws"] == 1
