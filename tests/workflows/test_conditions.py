"""Conditions: compiled predicates answer exactly what jsonschema's Draft202012Validator does.

Every case states the expected answer and checks that jsonschema gives it too, so a wrong
expectation fails as loudly as a wrong compilation. The official JSON-Schema-Test-Suite
(2020-12, with ``optional/``) runs at the end: every test of every group that is not
refused must get the suite's answer (jsonschema's where jsonschema itself differs from the
suite, e.g. format assertions, which default ``format`` handling does not make).
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from jsonschema_specifications import REGISTRY

from workflows.conditions import Condition, Miss, compile_condition, first_match
from workflows.conditions.index import build_router, choose_index, pins
from workflows.conditions.keywords import ALL_KEYWORDS
from workflows.conditions.meta import FALLBACK_KEYWORDS, META_KEYWORDS, quick_valid
from workflows.errors import DefinitionError

try:
    from tests.forms import suite
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    import suite  # type: ignore[no-redef]

BASE = "/routing/rules/3/when"


def verdict(schema: Any, doc: Any) -> bool:
    """The compiled answer, checked against jsonschema and a one-rule router."""
    condition = compile_condition(schema, BASE)
    answer = condition(doc)
    assert answer is Draft202012Validator(schema).is_valid(doc), (schema, doc)
    assert first_match([condition])(doc) == (0 if answer else None)
    assert (condition.explain(doc) is None) is answer
    return answer


def check(schema: Any, valid: list[Any], invalid: list[Any]) -> None:
    for doc in valid:
        assert verdict(schema, doc) is True, doc
    for doc in invalid:
        assert verdict(schema, doc) is False, doc
    assert compile_condition(schema).compiled


# ---------------------------------------------------------------------------------------------
# keywords


def test_type_integer_is_a_number_with_an_integral_value_and_never_a_boolean() -> None:
    check(
        {"type": "integer"}, [1, 1.0, -0.0, 10**30, 1e308], [1.5, True, False, "1", None, math.inf]
    )


def test_type_number_boolean_null_string_array_object() -> None:
    check({"type": "number"}, [0, 1.5, -3, math.inf], [True, "1", None, [1]])
    check({"type": "boolean"}, [True, False], [0, 1, None, "true"])
    check({"type": "null"}, [None], [0, False, "", []])
    check({"type": "string"}, ["", "é", "😀"], [1, None, ["a"]])
    check({"type": "array"}, [[], [1]], [{}, "[]", (1,)])
    check({"type": "object"}, [{}, {"a": 1}], [[], "{}", None])
    check({"type": ["string", "null"]}, ["a", None], [0, False])


@pytest.mark.parametrize(
    ("const", "valid", "invalid"),
    [
        (1, [1, 1.0], [True, "1", [1], 1.5]),
        (1.0, [1, 1.0], [True]),
        (0, [0, 0.0, -0.0], [False, None, "", []]),
        (True, [True], [1, 1.0, "true"]),
        (False, [False], [0, 0.0, None]),
        (None, [None], [0, False, "null"]),
        ("a", ["a"], [["a"], {"a": 1}, "A"]),
        ([1, "a"], [[1, "a"], [1.0, "a"]], [[True, "a"], ["a", 1], [1]]),
        ([[0]], [[[0]], [[0.0]]], [[[False]]]),
        ({"a": 1, "b": [True]}, [{"b": [True], "a": 1.0}], [{"a": True, "b": [True]}]),
        ({"a": 1}, [{"a": 1}], [{"a": 1, "b": 1}, {"b": 1}, {"a": [1]}]),
        (10**20, [10**20, 1e20], [10**20 + 1]),
    ],
)
def test_const_uses_json_equality(const: Any, valid: list[Any], invalid: list[Any]) -> None:
    check({"const": const}, valid, invalid)


def test_enum_of_mixed_members() -> None:
    members = [1, "a", None, [1], {"a": True}, False]
    check(
        {"enum": members},
        [1, 1.0, "a", None, [1.0], {"a": True}, False],
        [True, 0, {"a": 1}, [True], "b", [], {}],
    )


def test_enum_of_many_numbers_and_strings_never_confuses_booleans_or_breaks_on_lists() -> None:
    check({"enum": [0, 1, 2, 3, 4.5]}, [0, 1.0, 4.5, 3], [True, False, "1", [1], {"a": 1}])
    check({"enum": ["x", "y", "z"]}, ["x", "z"], [["x"], {"x": 1}, None, "X"])
    check({"enum": [True, 1]}, [True, 1, 1.0], [False, 0])
    check({"enum": []}, [], [None, 0, "a"])
    check({"type": "string", "enum": ["x", "y", 1]}, ["x"], [1, "q"])


def test_properties_required_and_counts() -> None:
    schema = {
        "properties": {"a": {"type": "integer"}, "b~/c": {"const": "x"}},
        "required": ["a"],
        "minProperties": 2,
        "maxProperties": 3,
    }
    check(
        schema,
        [{"a": 1, "z": 0}, {"a": 2.0, "b~/c": "x"}, "not an object", 5, None],
        [{"a": 1}, {"a": "1", "z": 0}, {"b~/c": "x", "z": 1}, {"a": 1, "b~/c": "y"}, {}],
    )
    check({"required": ["a", "b", "c", "d", "e", "f"]}, [dict.fromkeys("abcdef", 0)], [{"a": 1}])


def test_required_keys_with_typed_properties_inside_a_typed_object() -> None:
    schema = {
        "type": "object",
        "required": ["k", "n"],
        "properties": {"k": {"const": "v"}, "n": {"type": "number", "minimum": 3}, "o": {}},
    }
    check(schema, [{"k": "v", "n": 3}, {"k": "v", "n": 4.5, "o": 1}], [{"k": "v"}, {"n": 3}, []])


def test_additional_and_pattern_properties() -> None:
    schema = {
        "properties": {"id": {}},
        "patternProperties": {"^x-": {"type": "string"}, "\\d$": {"maximum": 5}},
        "additionalProperties": {"type": "boolean"},
    }
    check(
        schema,
        [{"id": 1, "x-a": "s", "n1": 3, "flag": True}, {"x-9": "s"}, []],
        [{"x-a": 1}, {"n1": 6}, {"flag": 1}, {"x-5": "s", "n5": 9}],
    )
    check({"additionalProperties": False}, [{}, 3], [{"a": 1}])
    check({"properties": {"a": True}, "additionalProperties": False}, [{"a": 0}], [{"b": 0}])
    check({"patternProperties": {"^a": False}}, [{"b": 1}], [{"ab": 1}])


def test_additional_properties_see_the_patterns_as_one_alternation_like_jsonschema() -> None:
    # "|".join of a single empty pattern is "", which jsonschema treats as "no patterns"
    check({"patternProperties": {"": {}}, "additionalProperties": False}, [{}], [{"a": 1}])
    check({"patternProperties": {"a": {}, "": {}}, "additionalProperties": False}, [{"q": 1}], [])


def test_property_names_dependent_required_and_schemas() -> None:
    check({"propertyNames": {"maxLength": 2}}, [{"ab": 1}, {}], [{"abc": 1}])
    check({"propertyNames": False}, [{}, "x"], [{"a": 1}])
    check(
        {"dependentRequired": {"card": ["cvv", "expiry"], "x": []}},
        [{}, {"cvv": 1}, {"card": 1, "cvv": 2, "expiry": 3}, {"x": 1}],
        [{"card": 1, "cvv": 2}],
    )
    check(
        {"dependentSchemas": {"vip": {"required": ["tier"]}}},
        [{}, {"tier": 1}, {"vip": True, "tier": 1}, [1]],
        [{"vip": True}],
    )


@pytest.mark.parametrize(
    ("schema", "valid", "invalid"),
    [
        ({"minimum": 5}, [5, 5.0, 6, "1", math.nan], [4, 4.999, -math.inf]),
        ({"maximum": 5}, [5, -1, True], [5.0001, 6, math.inf]),
        ({"exclusiveMinimum": 5}, [5.0001, 6], [5, 5.0, 4]),
        ({"exclusiveMaximum": 5}, [4.999, 4], [5, 5.0]),
        ({"minimum": 10**20}, [10**20, 1e21], [10**20 - 1, 99999999999999999999.0 - 1e5]),
        ({"multipleOf": 2}, [4, 4.0, 0, -2, "x"], [3, 4.5, math.inf]),
        ({"multipleOf": 0.5}, [1.5, 2, 1e308, 10**300], [1.25]),
        ({"multipleOf": 0.1}, [0.2, 1], [0.3]),  # float division, as jsonschema does it
        ({"multipleOf": 0.01}, [0.5, 1.1, 3], [0.07, 19.99]),
    ],
)
def test_numbers(schema: dict[str, Any], valid: list[Any], invalid: list[Any]) -> None:
    check(schema, valid, invalid)


def test_strings_count_code_points_and_search_patterns_like_re_search() -> None:
    check({"minLength": 2, "maxLength": 3}, ["ab", "😀😀", "日本語", 7], ["a", "😀", "abcd"])
    check({"pattern": "b+"}, ["abbc", "b", 5], ["", "ac"])
    check({"pattern": "^a$"}, ["a", "a\n"], ["ba"])  # Python's $ accepts a final newline
    check({"pattern": "^\\d{3}$"}, ["123", "١٢٣"], ["12a"])  # \d is Unicode in Python


def test_arrays() -> None:
    check({"minItems": 1, "maxItems": 2}, [[1], [1, 2], "x"], [[], [1, 2, 3]])
    check({"items": {"type": "integer"}}, [[], [1, 2.0]], [[1, "2"], [True]])
    check({"items": False}, [[]], [[1]])
    check(
        {"prefixItems": [{"type": "string"}, {"const": 1}], "items": {"type": "boolean"}},
        [[], ["a"], ["a", 1.0], ["a", 1, True, False]],
        [[1], ["a", True], ["a", 1, 0]],
    )
    check({"prefixItems": [True], "items": False}, [[None]], [[1, 2]])


def test_contains_with_bounds() -> None:
    check({"contains": {"const": "x"}}, [["a", "x"], "x"], [[], ["a"], [["x"]]])
    check({"contains": {"type": "integer"}}, [[1.0], ["a", 2]], [["1"], [True]])
    check(
        {"contains": {"minimum": 5}, "minContains": 2, "maxContains": 3},
        [[5, 6], [5, 6, 7, 1]],
        [[5], [5, 6, 7, 8], []],
    )
    check({"contains": {"const": 1}, "minContains": 0}, [[], [2]], [])
    check({"contains": {"const": 1}, "minContains": 0, "maxContains": 1}, [[], [1]], [[1, 1]])
    check({"contains": True}, [[0]], [[]])
    check({"contains": False}, ["x"], [[], [1]])
    check({"minContains": 5}, [[]], [])  # without contains it does nothing


def test_unique_items_uses_json_equality_and_jsonschemas_algorithm() -> None:
    check(
        {"uniqueItems": True},
        [[1, True], [0, False], [[1], [True]], [{"a": 1}, {"a": True}], ["1", 1]],
        [[1, 1.0], [[1], [1.0]], [{"a": 1, "b": 2}, {"b": 2, "a": 1.0}], [None, None]],
    )
    check({"uniqueItems": False}, [[1, 1]], [])
    # jsonschema sorts and compares neighbours: [0] and [0] are not neighbours here
    assert verdict({"uniqueItems": True}, [[0], [False], [0]]) is True


def test_combinators_and_boolean_schemas() -> None:
    check({"allOf": [{"minimum": 1}, {"maximum": 3}]}, [1, 3], [0, 4])
    check({"anyOf": [{"type": "string"}, {"minimum": 3}]}, ["a", 3], [2])
    check({"oneOf": [{"minimum": 2}, {"maximum": 5}]}, [1, 6], [3])
    check({"oneOf": [{"type": "integer"}, {"type": "number"}, {"const": 1.5}]}, [], [1, 1.5])
    check({"not": {"type": "null"}}, [0], [None])
    check(
        {"if": {"minimum": 10}, "then": {"multipleOf": 5}, "else": {"maximum": 3}}, [15, 2], [12, 4]
    )
    check({"if": {"const": 1}, "then": False}, [2], [1])
    check({"then": False, "else": False}, [1], [])  # without if: nothing
    check({"if": False}, [1], [])
    check(True, [None, 0, {}], [])
    check(False, [], [None, 0, {}])
    check({"properties": {"a": False}}, [{}], [{"a": None}])
    check({"not": True}, [], [1])


def test_local_references_are_inlined() -> None:
    schema = {
        "$defs": {
            "money": {"type": "number", "minimum": 0},
            "a/b~c": {"$ref": "#/$defs/money", "maximum": 100},
            "pct%": {"$ref": "#/$defs/a~1b~0c"},
        },
        "properties": {"x": {"$ref": "#/$defs/pct%25"}, "y": {"$ref": "#/$defs/money"}},
    }
    check(schema, [{"x": 50, "y": 1000}, {}], [{"x": 101}, {"x": -1}, {"y": -5}])


def test_annotations_and_unknown_keywords_are_ignored() -> None:
    schema = {
        "title": "t",
        "description": "d",
        "format": "email",
        "default": 1,
        "examples": [1],
        "$comment": "c",
        "deprecated": True,
        "readOnly": True,
        "contentMediaType": "text/plain",
        "x-tessera": {"minimum": 5},
        "dependencies": {"a": ["b"]},  # a draft-7 keyword: 2020-12 ignores it
        "additionalItems": False,
        "definitions": {"x": {"type": "string"}},
    }
    check(schema, ["not an email", {"a": 1}, [1, 2], 0], [])


def test_values_from_the_schema_are_data_not_code() -> None:
    sneaky = "x'); __import__('os').system('false'); ('"
    schema = {
        "properties": {sneaky: {"const": sneaky}, "k\n\"'": {"enum": [sneaky, "\\", "\x00"]}},
        "required": [sneaky],
    }
    check(schema, [{sneaky: sneaky}, {sneaky: sneaky, "k\n\"'": "\x00"}], [{sneaky: "x"}, {}])


class Masked(str):
    """A string whose repr lies: if a repr reached the source, answers would change."""

    def __repr__(self) -> str:
        return "'masked'"


def test_string_subclasses_are_bound_not_written_into_the_source() -> None:
    a = Masked("a")
    schema = {
        "required": [a],
        "properties": {"b": {"const": a}, "c": {"enum": [a, "z"]}},
        "dependentRequired": {a: ["b"]},
    }
    check(
        schema, [{"a": 1, "b": "a", "c": "a"}], [{"masked": 1}, {"a": 1}, {"a": 1, "b": "masked"}]
    )
    keyed = {"properties": {Masked("k"): {"const": 1}}}
    assert verdict(keyed, {"k": 2}) is False
    assert verdict(keyed, {"masked": 2}) is True
    rules = [cat(Masked("printer"))] + [cat(f"c{i}") for i in range(12)]
    router = first_match([compile_condition(r) for r in rules])
    assert router({"data": {"category": "printer"}}) == 0


# ---------------------------------------------------------------------------------------------
# what falls back to jsonschema, and what is refused


@pytest.mark.parametrize(
    ("schema", "valid", "invalid"),
    [
        (
            {"properties": {"a": {}}, "unevaluatedProperties": False},
            [{"a": 1}, {}],
            [{"a": 1, "b": 2}],
        ),
        ({"prefixItems": [{}], "unevaluatedItems": False}, [[1]], [[1, 2]]),
        (
            {"$defs": {"node": {"$dynamicAnchor": "n", "type": "array"}}, "$dynamicRef": "#n"},
            [[]],
            [{}],
        ),
        (
            {
                "$defs": {"tree": {"type": "array", "items": {"$ref": "#/$defs/tree"}}},
                "$ref": "#/$defs/tree",
            },
            [[], [[[]], []]],
            [[1], [[[1]]]],
        ),
        (
            {"properties": {"a": {"$id": "http://example.com/a", "type": "string"}}},
            [{"a": "x"}],
            [{"a": 1}],
        ),
        (
            {
                "properties": {
                    "a": {
                        "$schema": "http://json-schema.org/draft-07/schema#",
                        "dependencies": {"x": ["y"]},
                    }
                }
            },  # fmt: skip
            [{"a": {"x": 1, "y": 2}}],
            [{"a": {"x": 1}}],
        ),
        ({"const": math.nan}, [], [1.0]),
    ],
)
def test_fallback_keeps_jsonschemas_answer(
    schema: Any, valid: list[Any], invalid: list[Any]
) -> None:
    condition = compile_condition(schema, BASE)
    assert condition.compiled is False
    assert condition.reason
    for doc in valid:
        assert verdict(schema, doc) is True, doc
    for doc in invalid:
        assert verdict(schema, doc) is False, doc


def test_too_deep_to_compile_falls_back() -> None:
    schema: Any = {"minimum": 1}
    for _ in range(60):
        schema = {"properties": {"a": schema}}
    doc: Any = 0
    for _ in range(60):
        doc = {"a": doc}
    condition = compile_condition(schema)
    assert condition.compiled is False
    assert condition(doc) is False
    assert verdict(schema, {"a": {}}) is True


@pytest.mark.parametrize(
    ("schema", "where"),
    [
        ({"type": "strin"}, "/type"),
        ({"properties": {"a": {"minimum": "5"}}}, "/properties/a/minimum"),
        ({"required": "a"}, "/required"),
        ({"required": ["a", "a"]}, "/required"),
        ({"minLength": -1}, "/minLength"),
        ({"minLength": 1.5}, "/minLength"),
        ({"maxItems": True}, "/maxItems"),
        ({"multipleOf": 0}, "/multipleOf"),
        ({"allOf": []}, "/allOf"),
        ({"items": [{}]}, "/items"),
        ({"$defs": {"a": 3}}, "/$defs/a"),
        ({"pattern": "("}, "/pattern"),
        ({"patternProperties": {"[": {}}}, "/patternProperties"),
        ({"$anchor": "1a"}, "/$anchor"),
        ({"title": 3}, "/title"),
        (3, ""),
    ],
)
def test_invalid_schemas_raise_definition_errors_at_their_pointer(schema: Any, where: str) -> None:
    assert not quick_valid(schema)
    with pytest.raises(DefinitionError) as caught:
        compile_condition(schema, BASE)
    assert BASE + where in caught.value.errors
    assert all(isinstance(m, str) and m for m in caught.value.errors[BASE + where])


def test_every_meta_schema_problem_is_reported() -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_condition({"minimum": "a", "properties": {"x": {"type": 1}}}, "/w")
    assert set(caught.value.errors) == {"/w/minimum", "/w/properties/x/type"}


@pytest.mark.parametrize(
    "schema",
    [
        {"minLength": 2.0, "enum": [], "type": ["string"], "$comment": "c"},
        {
            "$id": "https://tessera.example/c",
            "$schema": "https://json-schema.org/draft/2020-12/schema",
        },
        {"$defs": {"a": True}, "dependencies": {"a": ["b"], "c": {}}, "contentSchema": {}},
        {"$vocabulary": {"https://json-schema.org/draft/2020-12/vocab/core": True}},
        {"x-anything": {"type": 5}, "examples": [], "readOnly": False},
    ],
)
def test_unusual_but_valid_schemas_pass_the_quick_meta_check(schema: Any) -> None:
    assert Draft202012Validator(Draft202012Validator.META_SCHEMA).is_valid(schema)
    assert quick_valid(schema)
    compile_condition(schema)


@pytest.mark.parametrize(
    ("schema", "where", "words"),
    [
        ({"$ref": "#"}, "/$ref", "not a reference into #/$defs"),
        ({"properties": {"a": {"$ref": "#/properties/b"}}}, "/properties/a/$ref", "#/$defs"),
        ({"$ref": "other.json#/$defs/a"}, "/$ref", "self-contained"),
        ({"$ref": "#foo", "$defs": {"f": {"$anchor": "foo"}}}, "/$ref", "#/$defs"),
        ({"$ref": "#/$defs/missing", "$defs": {}}, "/$ref", "names nothing"),
        ({"$ref": "#/$defs/a/required", "$defs": {"a": {"required": ["x"]}}}, "/$ref", "schema"),
        (
            {"patternProperties": {"b": {}, "(?i)a": {}}, "additionalProperties": False},
            "/patternProperties",
            "one alternation",
        ),
    ],
)
def test_refused_conditions(schema: Any, where: str, words: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_condition(schema, BASE)
    messages = caught.value.errors[BASE + where]
    assert any(words in m for m in messages), messages


def test_refusals_are_all_reported_together() -> None:
    schema = {"allOf": [{"$ref": "#/a"}, {"$ref": "#/$defs/none"}], "$defs": {}}
    with pytest.raises(DefinitionError) as caught:
        compile_condition(schema, "/r")
    assert set(caught.value.errors) == {"/r/allOf/0/$ref", "/r/allOf/1/$ref"}


def test_every_keyword_jsonschema_acts_on_is_compiled_or_falls_back() -> None:
    acted_on = set(Draft202012Validator.VALIDATORS)
    assert acted_on == set(ALL_KEYWORDS) | FALLBACK_KEYWORDS | {"format"}


def test_the_quick_meta_check_knows_every_keyword_the_meta_schema_constrains() -> None:
    constrained: set[str] = set()
    for uri in REGISTRY:
        if uri.startswith("https://json-schema.org/draft/2020-12/"):
            constrained |= set(REGISTRY.contents(uri).get("properties", {}))
    assert constrained == set(META_KEYWORDS)


# ---------------------------------------------------------------------------------------------
# explain


def test_explain_reports_the_failing_keyword_with_absolute_pointers() -> None:
    schema = {
        "properties": {"data": {"properties": {"amount": {"minimum": 1000}}}},
        "required": ["data"],
    }
    condition = compile_condition(schema, BASE)
    assert condition.explain({"data": {"amount": 1200}}) is None
    miss = condition.explain({"data": {"amount": 999}})
    assert miss == Miss(
        keyword="minimum",
        instance_pointer="/data/amount",
        schema_pointer=BASE + "/properties/data/properties/amount/minimum",
        message="999 is less than the minimum of 1000",
    )
    missing = condition.explain({})
    assert missing is not None
    assert (missing.keyword, missing.instance_pointer) == ("required", "")
    assert missing.schema_pointer == BASE + "/required"


def test_explain_follows_references_and_escapes_pointers() -> None:
    schema = {
        "$defs": {"big": {"minimum": 10}},
        "properties": {"a/b~c": {"items": {"$ref": "#/$defs/big"}}},
    }
    miss = compile_condition(schema, "/w").explain({"a/b~c": [10, 3]})
    assert miss is not None
    assert miss.instance_pointer == "/a~1b~0c/1"
    assert miss.schema_pointer == "/w/$defs/big/minimum"
    assert miss.keyword == "minimum"


def test_explain_of_a_false_schema_and_of_a_fallback() -> None:
    miss = compile_condition(False, "/w").explain(1)
    assert miss is not None
    assert (miss.keyword, miss.schema_pointer) == ("false", "/w")
    fallback = compile_condition({"unevaluatedProperties": False}, "/w")
    miss = fallback.explain({"x": 1})
    assert miss is not None
    assert (miss.keyword, miss.schema_pointer) == (
        "unevaluatedProperties",
        "/w/unevaluatedProperties",
    )


def test_condition_attributes() -> None:
    schema = {"const": 1}
    condition = compile_condition(schema, BASE)
    assert isinstance(condition, Condition)
    assert (condition.schema, condition.pointer, condition.compiled) == (schema, BASE, True)
    assert BASE in repr(condition) and "compiled" in repr(condition)
    assert compile_condition({"const": 1}).pointer == ""


# ---------------------------------------------------------------------------------------------
# first_match


def cat(value: Any, **more: Any) -> dict[str, Any]:
    """A rule on data.category (const, or enum for a list), plus more data properties."""
    test = {"enum": value} if isinstance(value, list) else {"const": value}
    properties = {"category": test, **more}
    return {
        "required": ["data"],
        "properties": {"data": {"required": ["category"], "properties": properties}},
    }


RULES: list[Any] = [
    cat("printer", amount={"minimum": 1000}),
    {"properties": {"priority": {"const": "urgent"}}, "required": ["priority"]},
    cat(["printer", "laptop"]),
    cat("laptop", vip={"const": True}),
    {"properties": {"data": {"properties": {"category": {"enum": ["phone", 1]}}}}},
    cat("network"),
    {"allOf": [cat("phone")], "properties": {"data": {"required": ["x"]}}},
    {"anyOf": [cat("router"), cat(["modem", "router"])]},
    {"unevaluatedProperties": True, "required": ["channel"]},
    cat("printer"),
    *[cat(f"c{i}", n={"maximum": i}) for i in range(6)],
]
DOCS: list[Any] = [
    *[{"data": {"category": f"c{i}", "n": 3}} for i in range(6)],
    {"data": {"category": "printer", "amount": 5000}},
    {"data": {"category": "printer", "amount": 5}, "priority": "urgent"},
    {"data": {"category": "printer", "amount": 5}},
    {"data": {"category": "laptop", "vip": True}},
    {"data": {"category": "laptop", "vip": 1}, "channel": "web"},
    {"data": {"category": "network"}},
    {"data": {"category": "phone", "x": 1}},
    {"data": {"category": "phone"}},
    {"data": {"category": "router"}},
    {"data": {"category": "modem"}},
    {"data": {"category": "unknown"}, "channel": "web"},
    {"data": {"category": "unknown"}},
    {"data": {"category": 1}},
    {"data": {"category": ["printer"]}},
    {"data": {}},
    {"data": {}, "priority": "urgent"},
    {"data": "printer"},
    {"data": None, "channel": "x"},
    {},
    [],
    "printer",
    None,
]


def loop(schemas: list[Any], doc: Any) -> int | None:
    for i, schema in enumerate(schemas):
        if Draft202012Validator(schema).is_valid(doc):
            return i
    return None


def test_first_match_is_the_first_rule_that_holds_with_or_without_the_index() -> None:
    conditions = [compile_condition(s, f"/routing/rules/{i}/when") for i, s in enumerate(RULES)]
    index = choose_index(conditions)
    assert index is not None and index[0] == ("data", "category")
    assert choose_index(conditions[:10]) is None  # too few rules pin it: no jump
    indexed, plain = first_match(conditions), build_router(conditions, min_indexed=len(RULES) + 1)
    for doc in DOCS:
        expected = loop(RULES, doc)
        assert indexed(doc) == expected, doc
        assert plain(doc) == expected, doc
    assert [indexed(d) for d in DOCS[:16]] == [None] * 3 + [
        13,
        14,
        15,
        0,
        1,
        2,
        2,
        2,
        5,
        4,
        4,
        7,
        7,
    ]


def test_first_match_of_nothing_and_of_fallbacks_only() -> None:
    assert first_match([])({"a": 1}) is None
    only = first_match(
        [compile_condition({"unevaluatedProperties": False}), compile_condition(True)]
    )
    assert only({}) == 0
    assert only({"a": 1}) == 1


def test_pins_read_through_all_of_any_of_and_references() -> None:
    schema = {
        "$defs": {"c": cat(["a", "b", 3])},
        "allOf": [{"$ref": "#/$defs/c"}],
        "anyOf": [cat("a"), cat(["a", "c"])],
    }
    assert pins(schema, schema, 0)[("data", "category")] == frozenset({"a"})
    loose = {"properties": {"data": {"properties": {"category": {"const": "a"}}}}}
    assert ("data", "category") not in pins(loose, loose, 0)  # not required: no pin


def test_a_condition_compiles_on_first_call_and_keeps_answering() -> None:
    condition = compile_condition({"properties": {"a": {"const": 1}}})
    first = condition.check
    assert condition({"a": 1}) is True
    assert condition.check is not first
    assert condition({"a": True}) is False


# ---------------------------------------------------------------------------------------------
# the official JSON-Schema-Test-Suite

REFUSALS = ("is not a reference into #/$defs", "is not a 'regex'", "does not compile")


def suite_groups() -> list[tuple[str, list[suite.SuiteTest]]]:
    groups: dict[tuple[str, int], list[suite.SuiteTest]] = {}
    for t in suite.iter_suite():
        groups.setdefault((t.file, t.group_index), []).append(t)
    return [(f"{f}#{i}", tests) for (f, i), tests in groups.items()]


GROUPS = suite_groups() if suite.suite_available() else []


def test_the_official_suite_is_there() -> None:
    assert suite.suite_available(), f"JSON-Schema-Test-Suite not found at {suite.SUITE_TESTS}"
    assert len(GROUPS) > 400


@pytest.mark.parametrize("tests", [g[1] for g in GROUPS], ids=[g[0] for g in GROUPS])
def test_official_suite_group(tests: list[suite.SuiteTest]) -> None:
    schema = tests[0].schema
    try:
        condition = compile_condition(schema, "/w")
    except DefinitionError as exc:
        messages = [m for ms in exc.errors.values() for m in ms]
        assert all(any(r in m for r in REFUSALS) for m in messages), messages
        return
    router = first_match([condition])
    for t in tests:
        expected = t.valid
        if Draft202012Validator(schema).is_valid(t.data) != expected:
            expected = not expected  # jsonschema itself differs from the suite (e.g. format)
        got = condition(t.data)
        assert got is expected, f"{t.id}: {json.dumps(t.data)[:200]}"
        assert router(t.data) == (0 if got else None)
        assert (condition.explain(t.data) is None) is got


def test_official_suite_is_mostly_compiled() -> None:
    compiled = fallback = refused = 0
    for _, tests in GROUPS:
        try:
            condition = compile_condition(tests[0].schema)
        except DefinitionError:
            refused += 1
            continue
        compiled += condition.compiled
        fallback += not condition.compiled
    assert compiled > 2 * fallback and compiled > 2 * refused, (compiled, fallback, refused)
