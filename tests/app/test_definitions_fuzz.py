"""Generated definitions through the console and the API: a 4xx with pointers, never a 5xx.

Titles, keys and schema members are drawn with NUL characters, lone surrogates, newlines,
very long strings and numbers beyond float range (`1e400`, which Python reads as Infinity).
Hypothesis runs derandomized and without its example database, so every run sends the same
requests. Whatever is saved must be storable: a slug key and no text a database refuses.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.definitions import store
from app.definitions.checks import storable_errors
from app.extensions import db
from app.models import Definition
from tests.app.api.test_definitions_api import API, bearer

FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
PREFIX = "fz_"  # every generated key starts so: no demo definition is touched
SLUG = re.compile(r"[a-z][a-z0-9_]{0,62}")

WEIRD = ["\x00", "\ud800", "\udfff", "\n", "\r\n", "\u2028", "é", "中", "~1/", "%00", "<b>"]
# What a browser can post in a text input: no lone surrogates (UTF-8 has none). Hypothesis's
# own text() draws none either.
TYPED = [w for w in WEIRD if not 0xD800 <= ord(w[0]) <= 0xDFFF]
LONG = ["x" * 3000, "é" * 1200]


def _texts(weird: list[str]) -> st.SearchStrategy[str]:
    pieces = st.one_of(st.text(max_size=6), st.sampled_from(weird), st.sampled_from(LONG))
    return st.lists(pieces, max_size=4).map("".join)


def mostly(sane: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Three times in four a sane value, so that bodies get past the first checks too."""
    return st.one_of(sane, sane, sane, odd)


plain = st.from_regex(r"[A-Za-z0-9 _.,éü中-]{1,30}", fullmatch=True)
slugs = st.from_regex(r"[a-z0-9_]{1,12}", fullmatch=True).map(lambda k: PREFIX + k)


def _keys(weird: list[str]) -> st.SearchStrategy[str]:
    """Slugs; slugs with something after them (a newline, a NUL, ...); any text."""
    return mostly(
        slugs,
        st.tuples(slugs, st.sampled_from(weird)).map("".join)
        | _texts(weird).map(lambda t: PREFIX + t),
    )


texts, typed_texts = _texts(WEIRD), _texts(TYPED)
keys, typed_keys = _keys(WEIRD), _keys(TYPED)
titles, typed_titles = mostly(plain, texts), mostly(plain, typed_texts)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([10**400, -(10**400), 1e308, 5e-324, 2**31, -(2**63)]),
)
json_values = st.recursive(
    st.none() | st.booleans() | numbers | texts,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(texts, children, max_size=3),
    max_leaves=8,
)
counts = mostly(st.integers(min_value=0, max_value=100), numbers)
bounds = mostly(st.integers(min_value=-1000, max_value=1000), numbers)
SCHEMA_MEMBERS: dict[str, st.SearchStrategy[Any]] = {
    "title": titles,
    "description": titles,
    "pattern": mostly(st.sampled_from(["^[A-Z0-9]{4,8}$", "[a-z]", "^x\\Z"]), texts),
    "format": mostly(st.sampled_from(["email", "date", "uri"]), texts),
    "default": mostly(plain, json_values),
    "const": mostly(plain, json_values),
    "enum": mostly(st.lists(plain, min_size=1, max_size=3, unique=True),
                   st.lists(json_values, max_size=3)),
    "examples": st.lists(mostly(plain, json_values), max_size=2),
    "maximum": bounds,
    "minimum": bounds,
    "exclusiveMaximum": bounds,
    "multipleOf": mostly(st.integers(min_value=1, max_value=10), numbers),
    "maxLength": counts,
    "minLength": counts,
    "maxItems": counts,
}
TYPES = st.sampled_from(["string", "number", "integer", "boolean", "array", "strin"])
schemas = st.lists(st.sampled_from(sorted(SCHEMA_MEMBERS)), max_size=3, unique=True).flatmap(
    lambda names: st.fixed_dictionaries(
        {"type": TYPES, **{name: SCHEMA_MEMBERS[name] for name in names}}
    )
)
ui_schemas = st.dictionaries(
    st.sampled_from(["ui:widget", "ui:help", "ui:placeholder", "ui:options"]) | texts,
    mostly(plain, json_values),
    max_size=2,
)
names = mostly(st.from_regex(r"[a-z]{1,8}", fullmatch=True), texts)


def field_bodies(key: str | None = None) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"key": st.just(key) if key else keys, "title": titles, "schema": schemas},
        optional={"ui": ui_schemas, "description": titles, "tags": st.lists(titles, max_size=2)},
    )


template_bodies = st.fixed_dictionaries(
    {
        "key": keys,
        "title": titles,
        "schema": st.fixed_dictionaries(
            {"type": st.just("object"), "properties": st.dictionaries(names, schemas, max_size=3)},
            optional={"required": st.lists(names, max_size=2), "title": titles},
        ),
    },
    optional={
        "uiSchema": st.dictionaries(names, ui_schemas, max_size=2),
        "settings": st.fixed_dictionaries(
            {"default_department": mostly(st.just("repair"), texts)},
            optional={
                "subject": names,
                "list_columns": st.lists(names, max_size=2),
                "workflow": mostly(slugs, texts),
            },
        ),
        "formData": st.dictionaries(names, json_values, max_size=2),
    },
)


def dumps(value: Any) -> str:
    """JSON text as a client would send it: escapes for NUL and surrogates, 1e400 for ±inf."""
    text = json.dumps(value)  # ASCII: "\\u0000", "\\ud800"; ±inf as (-)Infinity, NaN as NaN
    return text.replace("Infinity", "1e400")


def is_pointer(text: str) -> bool:
    return text == "" or text.startswith("/")


def assert_storable_saves(app: Flask) -> None:
    """Every generated definition that was saved has a slug key and storable text.

    The published ones are retired then, so that no later test offers their templates.
    """
    with app.app_context():
        generated = Definition.key.startswith(PREFIX, autoescape=True)
        for row in db.session.scalars(select(Definition).where(generated)).all():
            assert SLUG.fullmatch(row.key), row.key
            assert storable_errors(row.body) == {} and storable_errors(row.title) == {}
            if row.status == store.PUBLISHED:
                store.retire(row.id, None)
        db.session.remove()


# -- console ------------------------------------------------------------------------------


def typed(text: str) -> str:
    """`text` as a browser posts it: a lone surrogate cannot be sent, so it is dropped."""
    return text.encode("utf-8", "ignore").decode("utf-8")


def editor_inputs(kind: str, body: dict[str, Any], key: str) -> dict[str, str]:
    """The editor's inputs for a body: text inputs as typed, JSON parts as JSON text."""
    parts = ("schema", "ui") if kind == "field" else ("schema", "uiSchema", "settings", "formData")
    inputs = {part: dumps(body[part]) for part in parts if part in body}
    inputs["key"] = typed(key)
    for part in ("title", "description"):
        inputs[part] = typed(body.get(part, ""))
    if "tags" in body:
        inputs["tags"] = typed(", ".join(body["tags"]))
    return inputs


CONSOLE = [
    ("field", "/definitions/fields/new"),
    ("field", "/definitions/fields/preview"),
    ("template", "/definitions/templates/new"),
    ("template", "/definitions/templates/try"),
]


@pytest.mark.parametrize(("kind", "path"), CONSOLE)
def test_generated_editor_posts_never_answer_5xx(
    app: Flask, client_as: Callable[[str], FlaskClient], kind: str, path: str
) -> None:
    admin = client_as("admin")
    bodies = field_bodies() if kind == "field" else template_bodies

    @FUZZ
    @given(bodies, typed_keys, typed_titles)
    def post(body: dict[str, Any], key: str, title: str) -> None:
        inputs = editor_inputs(kind, {**body, "title": title}, key)
        response = admin.post(path, data=inputs)
        assert response.status_code < 500, (inputs, response.status_code)
        if path.endswith(("/preview", "/try")):
            assert response.is_json
            if response.status_code == 422:
                assert response.json["errors"] and all(map(is_pointer, response.json["errors"]))

    post()
    assert_storable_saves(app)


def test_generated_edits_of_a_draft_never_answer_5xx(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    admin = client_as("admin")
    key = f"{PREFIX}draft_{uuid.uuid4().hex[:8]}"
    created = admin.post(
        "/definitions/fields/new",
        data={"key": key, "title": "Draft", "schema": '{"type": "string"}'},
    )
    assert created.status_code == 302
    edit = created.headers["Location"]

    @FUZZ
    @given(field_bodies(key), typed_titles)
    def post(body: dict[str, Any], title: str) -> None:
        inputs = editor_inputs("field", {**body, "title": title}, key)
        response = admin.post(edit, data=inputs)
        assert response.status_code < 500, (inputs, response.status_code)

    post()
    assert_storable_saves(app)


def test_generated_list_and_history_queries_never_answer_5xx(
    client_as: Callable[[str], FlaskClient],
) -> None:
    admin = client_as("admin")
    first = admin.get("/definitions/fields/").get_data(as_text=True)
    pk = re.search(r"/definitions/fields/history/(\d+)", first)
    assert pk is not None
    query_values = typed_texts | numbers.map(str)

    @FUZZ
    @given(query_values, query_values, query_values)
    def get(q: str, old: str, new: str) -> None:
        for path, args in (
            ("/definitions/fields/", {"q": q}),
            (f"/definitions/fields/history/{pk.group(1)}", {"old": old, "new": new}),
        ):
            response = admin.get(path, query_string=args)
            assert response.status_code < 500, (path, args)

    get()


# -- API ----------------------------------------------------------------------------------


def assert_json_error(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.data[:300])
    assert response.is_json and isinstance(response.json, dict)
    if response.status_code == 422:
        errors = response.json["errors"]
        assert errors and all(is_pointer(where.split("#", 1)[-1]) for where in errors), errors
    elif response.status_code >= 400:
        assert response.json.get("message")


@pytest.fixture
def api_client(app: Flask) -> Callable[..., Any]:
    headers = bearer(app, "admin")
    client = app.test_client()

    def call(method: str, path: str, payload: Any) -> Any:
        return client.open(
            path, method=method, headers=headers, data=dumps(payload),
            content_type="application/json",
        )

    return call


@pytest.mark.parametrize("kind", ["field", "template"])
def test_generated_api_drafts_never_answer_5xx(
    app: Flask, api_client: Callable[..., Any], kind: str
) -> None:
    bodies = field_bodies() if kind == "field" else template_bodies

    @FUZZ
    @given(bodies, st.booleans())
    def post(body: dict[str, Any], same_key: bool) -> None:
        key = body["key"] if same_key else f"{body['key']}x"
        assert_json_error(api_client("POST", API, {"kind": kind, "key": key, "body": body}))

    post()
    assert_storable_saves(app)


def test_generated_api_updates_never_answer_5xx(
    app: Flask, api_client: Callable[..., Any]
) -> None:
    key = f"{PREFIX}put_{uuid.uuid4().hex[:8]}"
    body = {"key": key, "title": "Put", "schema": {"type": "string"}}
    created = api_client("POST", API, {"kind": "field", "key": key, "body": body})
    assert created.status_code == 201
    pk = created.json["id"]

    @FUZZ
    @given(field_bodies(key))
    def put(body: dict[str, Any]) -> None:
        assert_json_error(api_client("PUT", f"{API}{pk}", {"body": body}))

    put()
    assert_storable_saves(app)


def test_generated_api_imports_never_answer_5xx(
    app: Flask, api_client: Callable[..., Any]
) -> None:
    documents = st.one_of(
        field_bodies().map(lambda body: ("field", body)),
        template_bodies.map(lambda body: ("template", body)),
    )

    @FUZZ
    @given(st.lists(st.tuples(documents, st.booleans()), min_size=1, max_size=3), st.booleans())
    def post(files: list[tuple[tuple[str, dict[str, Any]], bool]], publish: bool) -> None:
        # A file is either a JSON document or its text; its name carries the generated key.
        payload = {
            f"{folder}/{body['key']}.json": dumps(body) if as_text else body
            for (folder, body), as_text in files
        }
        response = api_client("POST", f"{API}import", {"files": payload, "publish": publish})
        assert_json_error(response)

    post()
    assert_storable_saves(app)
