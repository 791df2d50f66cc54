"""Property tests: compiled conditions and routers decide as jsonschema does, on anything.

Random condition schemas over every compiled keyword (and, now and then, a keyword that
falls back), against random documents full of near misses: boundary numbers, 1 / 1.0 /
True, 0 / False, missing keys, wrong types, non-ASCII strings. The routers get rule lists
that mostly pin ``data.category`` (so the indexed path runs) mixed with arbitrary rules.
The hand-written meta-schema check must agree with jsonschema's on random near-schemas.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from workflows.conditions import compile_condition, first_match
from workflows.conditions.index import build_router
from workflows.conditions.meta import META_KEYWORDS, quick_valid
from workflows.errors import DefinitionError

KEYS = ["a", "b", "data", "category", "x-1"]
CATEGORIES = ["printer", "laptop", "phone", "é"]
SCALARS: list[Any] = [
    0,
    1,
    1.0,
    -1,
    2,
    2.5,
    3,
    -0.0,
    0.1,
    0.3,
    10**20,
    1e20,
    True,
    False,
    None,
    "",
    "a",
    "b",
    "ab",
    "abc",
    "é",
    "😀",
    "A1",
    "printer",
    "laptop",
    "1",
]
NEAR: list[Any] = [[], [1], [1.0], [True], ["a"], [0, False], {}, {"a": 1}, {"a": True}]
PATTERNS = ["^a", "b$", "\\d", "^$", "é", ".", "^(a|b)+$", ""]
TYPES = ["null", "boolean", "integer", "number", "string", "array", "object"]

value = st.sampled_from(SCALARS + NEAR)
documents = st.recursive(
    value,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)
    ),
    max_leaves=8,
)
count = st.integers(0, 3) | st.just(2.0)
number = st.sampled_from([0, 1, 1.5, 2, -1, 2.0, 10**20, 0.1])
keys = st.lists(st.sampled_from(KEYS), max_size=3, unique=True)


def leaf_keywords() -> st.SearchStrategy[dict[str, Any]]:
    """Keyword fragments without subschemas."""
    return st.one_of(
        st.builds(
            lambda t: {"type": t},
            st.sampled_from(TYPES)
            | st.lists(st.sampled_from(TYPES), min_size=1, max_size=2, unique=True),
        ),
        st.builds(lambda v: {"const": v}, value),
        st.builds(lambda v: {"enum": v}, st.lists(value, max_size=4)),
        st.builds(
            lambda k, n: {k: n},
            st.sampled_from(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]),
            number,
        ),
        st.builds(lambda n: {"multipleOf": n}, st.sampled_from([1, 2, 0.5, 0.1, 3, 1.5])),
        st.builds(
            lambda k, n: {k: n},
            st.sampled_from(
                ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"]
            ),
            count,
        ),
        st.builds(lambda p: {"pattern": p}, st.sampled_from(PATTERNS)),
        st.builds(lambda b: {"uniqueItems": b}, st.booleans()),
        st.builds(lambda ks: {"required": ks}, keys),
        st.builds(lambda k, ks: {"dependentRequired": {k: ks}}, st.sampled_from(KEYS), keys),
        st.just({"$ref": "#/$defs/d"}),
        st.just({"format": "email", "title": "t", "x-unknown": {"minimum": 99}}),
    )


def compound_keywords(child: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword fragments with subschemas."""
    some = st.lists(child, min_size=1, max_size=3)
    return st.one_of(
        st.builds(
            lambda m: {"properties": m}, st.dictionaries(st.sampled_from(KEYS), child, max_size=3)
        ),
        st.builds(
            lambda m: {"patternProperties": m},
            st.dictionaries(st.sampled_from(PATTERNS), child, max_size=2),
        ),
        st.builds(
            lambda s, m: {"additionalProperties": s, "properties": m},
            child,
            st.dictionaries(st.sampled_from(KEYS), st.just(True), max_size=2),
        ),
        st.builds(lambda s: {"propertyNames": s}, child),
        st.builds(lambda k, s: {"dependentSchemas": {k: s}}, st.sampled_from(KEYS), child),
        st.builds(lambda s: {"items": s}, child),
        st.builds(lambda p, s: {"prefixItems": p, "items": s}, some, child),
        st.builds(
            lambda s, lo, hi: {"contains": s, **lo, **hi},
            child,
            st.just({}) | st.builds(lambda n: {"minContains": n}, count),
            st.just({}) | st.builds(lambda n: {"maxContains": n}, count),
        ),
        st.builds(lambda k, s: {k: s}, st.sampled_from(["allOf", "anyOf", "oneOf"]), some),
        st.builds(lambda s: {"not": s}, child),
        st.builds(
            lambda i, t, e: {"if": i, **t, **e},
            child,
            st.just({}) | st.builds(lambda s: {"then": s}, child),
            st.just({}) | st.builds(lambda s: {"else": s}, child),
        ),
    )


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update(part)
    return merged


def node(fragments: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    return st.booleans() | st.lists(fragments, min_size=1, max_size=3).map(merge)


plain = st.recursive(
    node(leaf_keywords()),
    lambda inner: node(leaf_keywords() | compound_keywords(inner)),
    max_leaves=6,
)
# the target of "#/$defs/d" never refers to itself: a cycle would recurse in jsonschema
definitions = st.recursive(
    node(leaf_keywords().filter(lambda f: "$ref" not in f)),
    lambda inner: node(compound_keywords(inner)),
    max_leaves=3,
)
rare: st.SearchStrategy[dict[str, Any]] = st.sampled_from(
    [{"unevaluatedProperties": False}, {"unevaluatedItems": {"type": "string"}}]
)


@st.composite
def schemas(draw: st.DrawFn) -> Any:
    """A condition: a random body with ``#/$defs/d`` to refer to, sometimes a fallback."""
    body = draw(plain)
    extra: dict[str, Any] = draw(st.just({}) | rare)
    return {"$defs": {"d": draw(definitions)}, "allOf": [body], **extra}


def category_rule(test: Any, more: Any, target: Any) -> dict[str, Any]:
    return {
        "$defs": {"d": target},
        "required": ["data"],
        "properties": {
            "data": {"required": ["category"], "properties": {"category": test}, "allOf": [more]}
        },
    }


pinned = st.builds(
    category_rule,
    st.builds(lambda c: {"const": c}, st.sampled_from(CATEGORIES))
    | st.builds(
        lambda cs: {"enum": cs},
        st.lists(st.sampled_from([*CATEGORIES, 1, None]), min_size=1, max_size=3),
    ),
    plain,
    definitions,
)
tickets = (
    st.builds(
        lambda category, data, top: {**top, "data": {**data, **category}},
        st.sampled_from(
            [{"category": c} for c in [*CATEGORIES, 1, None, ["printer"], "other"]] + [{}]
        ),
        st.dictionaries(st.sampled_from(KEYS), documents, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", "priority"]), documents, max_size=2),
    )
    | documents
)


@settings(max_examples=150, deadline=None)
@given(schemas(), st.lists(documents, min_size=1, max_size=8))
def test_compiled_conditions_answer_as_jsonschema(schema: Any, docs: list[Any]) -> None:
    condition = compile_condition(schema, "/w")
    validator = Draft202012Validator(schema)
    for doc in docs:
        assert condition(doc) is validator.is_valid(doc), doc
    assert (condition.explain(docs[0]) is None) is condition(docs[0])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(pinned | pinned | schemas(), min_size=1, max_size=8),
    st.lists(tickets, min_size=1, max_size=10),
)
def test_routers_pick_the_first_rule_jsonschema_accepts(rules: list[Any], docs: list[Any]) -> None:
    conditions = [
        compile_condition(rule, f"/routing/rules/{i}/when") for i, rule in enumerate(rules)
    ]
    validators = [Draft202012Validator(rule) for rule in rules]
    indexed = build_router(conditions, min_indexed=2)  # jump wherever two rules pin a field
    plain_router = first_match(conditions)  # at most 8 rules: below MIN_INDEXED, no jump
    for doc in docs:
        expected = next((i for i, v in enumerate(validators) if v.is_valid(doc)), None)
        assert indexed(doc) == expected, doc
        assert plain_router(doc) == expected, doc


META = Draft202012Validator(
    Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
)
odd_values = st.recursive(
    st.sampled_from(
        [
            0,
            1,
            -1,
            1.5,
            2.0,
            True,
            None,
            "",
            "a",
            "a*",
            "**",
            "^a",
            "#/$defs/x",
            "http://e.com/s",
            "1a",
            "integer",
            "string",
        ]
    ),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "$defs", "type"]), inner, max_size=2)
    ),
    max_leaves=5,
)
near_schemas = st.recursive(
    st.booleans()
    | st.dictionaries(st.sampled_from([*sorted(META_KEYWORDS), "x-other"]), odd_values, max_size=3),
    lambda inner: st.dictionaries(
        st.sampled_from(["properties", "items", "allOf", "not", "$defs", "x-other"]),
        inner
        | st.lists(inner, max_size=2)
        | st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2),
        max_size=2,
    ),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None)
@given(near_schemas)
def test_the_quick_meta_check_agrees_with_jsonschemas(schema: Any) -> None:
    valid = META.is_valid(schema)
    assert quick_valid(schema) is valid
    try:
        compile_condition(schema, "/w")
    except DefinitionError as exc:
        assert exc.errors and all(p.startswith("/w") for p in exc.errors)
    else:
        assert valid
