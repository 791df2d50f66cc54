"""The one reader of the `f.<field>[.op]` query grammar, in both modes (pure: no app, no DB)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from app.definitions.filterable import filter_specs
from app.tickets.errors import BadFilter
from app.tickets.filters import (
    MAX_VALUE_CHARS,
    UNASSIGNED,
    DateRange,
    EnumIs,
    FlagIs,
    NumberRange,
    Search,
    TextContains,
    TextPrefix,
    TicketFilters,
    TimeRange,
    field_param,
    read_field_filters,
    read_system_filters,
)
from app.tickets.search import SearchMode

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "tier": {"title": "Tier", "enum": ["gold", "std"]},
        "amount": {"type": "number", "title": "Amount"},
        "bought": {"type": "string", "format": "date"},
        "seen": {"type": "string", "format": "date-time"},
        "vip": {"type": "boolean"},
        "serial": {"type": "string", "title": "Serial"},
    },
}
SPECS = filter_specs({}, SCHEMA)


def api(*pairs: tuple[str, str]) -> tuple[Any, ...]:
    return read_field_filters(MultiDict(pairs), SPECS)


def page(*pairs: tuple[str, str]) -> tuple[Any, ...]:
    return read_field_filters(MultiDict(pairs), SPECS, form=True)


def test_field_param_names() -> None:
    assert field_param("f.amount.min") == ("amount", "min")
    assert field_param("f.tier") == ("tier", None)
    assert field_param("f.a.b") is None
    assert field_param("f.tier\n") is None  # nor any other white space in a name
    assert field_param("template") is None


def test_api_reads_every_field_and_operator_and_merges_ranges() -> None:
    found = api(
        ("f.serial.contains", "50%"),
        ("f.amount.max", "9.5"),
        ("f.other", "x"),  # a field the template does not offer
        ("f.other", ""),  # the empty text is a value too
        ("f.amount.min", "-2"),
        ("f.amount.prefix", "1"),  # any operator on any field
        ("f.bought.from", "2026-01-01"),
        ("f.seen.to", "2026-02-01T10:00:00Z"),
        ("f.vip.is", "true"),
        ("template", "ignored"),
    )
    assert found == (
        TextContains("serial", "50%"),
        NumberRange("amount", Decimal("-2"), Decimal("9.5")),
        TextPrefix("amount", "1"),
        EnumIs("other", ("x", "")),
        DateRange("bought", "2026-01-01", None, whole_days=True),
        DateRange("seen", None, "2026-02-01T10:00:00Z", whole_days=False),
        FlagIs("vip", True),
    )


def test_api_without_a_template_takes_any_field_and_walks_no_days() -> None:
    args = MultiDict([("f.bought.from", "2026-01-01"), ("f.code.prefix", "")])
    assert read_field_filters(args) == (
        DateRange("bought", "2026-01-01", None, whole_days=False),
        TextPrefix("code", ""),
    )


@pytest.mark.parametrize("name", ["f.a.b", "f.x.like", "f.", "f.tier.min.max", "f.tier\n"])
def test_api_refuses_names_outside_the_grammar(name: str) -> None:
    with pytest.raises(BadFilter, match="Unknown filter parameter"):
        api((name, "1"))
    assert page((name, "1")) == ()


def test_bad_field_names_are_refused_by_the_api() -> None:
    with pytest.raises(BadFilter):
        api(("f.bad-name", "1"))


def test_page_reads_only_the_inputs_it_renders() -> None:
    found = page(
        ("f.serial.contains", "abc"),
        ("f.tier", "gold"), ("f.tier", ""), ("f.tier", "std"),
        ("f.amount.min", ""), ("f.amount.max", "5"),
        ("f.amount.prefix", "1"),  # no such input for a number
        ("f.other", "x"),  # another template's field
        ("f.vip.is", ""),
        ("f.bought.to", "2026-03-01"),
    )
    assert found == (  # in the order the template offers its filters
        EnumIs("tier", ("gold", "std")),
        NumberRange("amount", None, Decimal("5")),
        DateRange("bought", None, "2026-03-01", whole_days=True),
        TextContains("serial", "abc"),
    )
    assert page(("f.tier", ""), ("f.serial.prefix", "")) == ()


def test_plain_mappings_work_too() -> None:
    assert read_field_filters({"f.tier": ["gold", "std"], "f.vip.is": "false"}) == (
        EnumIs("tier", ("gold", "std")),
        FlagIs("vip", False),
    )


@pytest.mark.parametrize("read", [api, page])
@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("f.amount.min", "ten", r"Amount \(f\.amount\.min\) must be a decimal number"),
        ("f.amount.max", "nan", "decimal number"),
        ("f.amount.min", "1e5", "decimal number"),
        ("f.amount.min", "1e999999", "decimal number"),
        ("f.amount.min", " 10", "decimal number"),
        ("f.amount.min", "\u0661\u0662", "decimal number"),  # Arabic-Indic digits
        ("f.amount.min", "1" * 31, "decimal number"),
        ("f.bought.from", "yesterday", r"bought \(f\.bought\.from\) must be an ISO date"),
        ("f.bought.to", "20260101", "ISO date"),
        ("f.bought.to", "2026-13-01", "ISO date"),
        ("f.vip.is", "maybe", r"vip \(f\.vip\.is\) must be true or false"),
        ("f.vip.is", "yes", "true or false"),
        ("f.serial.prefix", "a\x00b", "NUL"),
        ("f.tier", "gold\x00", "NUL"),
        ("f.serial.contains", "x" * (MAX_VALUE_CHARS + 1), f"at most {MAX_VALUE_CHARS}"),
    ],
)
def test_bad_values_are_refused_the_same_way_in_both_modes(
    read: Any, name: str, value: str, message: str
) -> None:
    with pytest.raises(BadFilter, match=message):
        read((name, value))


@pytest.mark.parametrize("read", [api, page])
def test_operators_other_than_equality_are_given_once(read: Any) -> None:
    with pytest.raises(BadFilter, match=r"Give f\.amount\.min once"):
        read(("f.amount.min", "1"), ("f.amount.min", "2"))
    assert read(("f.tier", "gold"), ("f.tier", "std")) == (EnumIs("tier", ("gold", "std")),)


def test_an_empty_input_next_to_a_value_is_not_a_repeat_on_the_page() -> None:
    assert page(("f.amount.min", ""), ("f.amount.min", "2")) == (
        NumberRange("amount", Decimal("2"), None),
    )
    with pytest.raises(BadFilter, match="Give"):
        api(("f.amount.min", ""), ("f.amount.min", "2"))


def test_good_values() -> None:
    assert api(("f.amount.min", "0"), ("f.amount.max", "-0.25")) == (
        NumberRange("amount", Decimal("0"), Decimal("-0.25")),
    )
    assert api(("f.seen.from", "2026-11-01T08:00+08:00")) == (
        DateRange("seen", "2026-11-01T08:00+08:00", None),
    )


# ---------------------------------------------------------------------------------------------
# The system filters (`read_system_filters`: the API's and the list page's reader)

ME = 7


def system(*pairs: tuple[str, str], base: TicketFilters | None = None) -> TicketFilters:
    return read_system_filters(MultiDict(pairs), ME, base)


def test_system_filters_read_every_parameter() -> None:
    found = system(
        ("q", "  Printer jams "), ("q_mode", "prefix"),
        ("state", "new,open"), ("state", "open"), ("state", "waiting_parts"),
        ("category", "solved"), ("priority", "high, urgent"),
        ("assignee", "me"),
        ("created_from", "2026-11-01"), ("created_to", "2026-11-30"),
        ("updated_from", "2026-11-02T08:00+08:00"), ("updated_to", "2026-11-03T10:30"),
    )
    assert found == TicketFilters(
        search=Search("Printer jams", SearchMode.PREFIX),
        states=("new", "open", "waiting_parts"),
        categories=("solved",),
        priorities=("high", "urgent"),
        assignee=ME,
        created=TimeRange(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)),
        updated=TimeRange(
            datetime(2026, 11, 2, 0, 0, tzinfo=UTC),  # 08:00 in UTC+8
            datetime(2026, 11, 3, 10, 30, 0, 1, tzinfo=UTC),  # the given minute included
        ),
    )


def test_empty_system_parameters_are_no_filter_and_keep_the_base() -> None:
    base = TicketFilters(template="repair", assignee=UNASSIGNED, states=("new",))
    empty = [(n, "") for n in ("q", "q_mode", "state", "category", "priority", "assignee")]
    assert system(*empty, ("created_from", ""), base=base) == base
    assert system(("state", ","), base=base) == base
    assert system(("assignee", "unassigned")).assignee == UNASSIGNED
    assert system(("assignee", "42")).assignee == 42
    assert system(("q", "x")).search == Search("x", SearchMode.CONTAINS)
    assert system(("created_to", "9999-12-31")).created == TimeRange(None, None)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("category", "pending", "category must be among: new, open"),
        ("priority", "critical", "priority must be among: low, normal"),
        ("state", "new\x00", "NUL"),
        ("assignee", "someone", "assignee must be a user id"),
        ("assignee", "99999999999", "assignee must be a user id"),
        ("created_from", "2026-02-31", "created_from must be an ISO date"),
        ("updated_to", "yesterday", "updated_to must be an ISO date"),
        ("created_to", "2026-11-01T25:00", "created_to must be an ISO date"),
        ("q_mode", "fuzzy", "q_mode must be one of: contains, prefix"),
        ("q", "x" * 201, "at most 200 characters"),
        ("q", "jam\x00", "NUL"),
    ],
)
def test_bad_system_values_name_the_parameter(name: str, value: str, message: str) -> None:
    with pytest.raises(BadFilter, match=message):
        system((name, value))


def test_single_system_parameters_are_given_once() -> None:
    with pytest.raises(BadFilter, match="Give q once"):
        system(("q", "a"), ("q", "b"))
    with pytest.raises(BadFilter, match="Give created_from once"):
        system(("created_from", "2026-01-01"), ("created_from", "2026-01-02"))
