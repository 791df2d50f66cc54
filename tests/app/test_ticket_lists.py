"""The list page's pure helpers: columns, labels, values as text, filters from the query.

The filters are read by `app.tickets.filters` in its form mode (every mode: test_filters.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from app.definitions.filterable import filter_specs
from app.tickets import query
from app.tickets.errors import BadFilter
from app.tickets.filters import read_field_filters
from app.tickets.models import Ticket
from app.tickets.templates import TemplateForm
from app.views.ticket_lists import (
    columns,
    display,
    field_labels,
    labels,
    read_sort,
    sla_text,
)
from forms import compile_form

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "tier": {
            "title": "Tier",
            "oneOf": [{"const": "gold", "title": "Gold 金"}, {"const": "std", "title": "Standard"}],
        },
        "model": {"enum": ["X1", "X2"]},
        "amount": {"type": "number", "title": "Amount"},
        "bought": {"type": "string", "format": "date"},
        "vip": {"type": "boolean"},
        "serial": {"type": "string"},
        "address": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def template(**settings: Any) -> TemplateForm:
    return TemplateForm(
        definition_id=1, key="t", version=1, title="T", settings=settings, schema=SCHEMA,
        ui_schema={}, form=compile_form(SCHEMA, {}),
    )


def test_columns_take_titles_and_labels_and_appear_once() -> None:
    tf = template(list_columns=["/tier", "amount", "/address/city", "/tier", "/missing"])
    found = [(c.name, c.title, dict(c.labels)) for c in columns(tf)]
    assert found == [
        ("tier", "Tier", {"gold": "Gold 金", "std": "Standard"}),
        ("amount", "Amount", {}),
        ("address", "address", {}),
        ("missing", "missing", {}),
    ]


def test_labels_only_for_titled_options() -> None:
    assert labels(SCHEMA["properties"]["model"]) == {}
    assert labels({"type": "string"}) == {}
    assert field_labels(template()) == {"tier": {"gold": "Gold 金", "std": "Standard"}}


@pytest.mark.parametrize(
    ("value", "given", "text"),
    [
        (None, None, ""),
        ("gold", {"gold": "Gold"}, "Gold"),
        ("other", {"gold": "Gold"}, "other"),
        (True, None, "yes"),
        (False, {}, "no"),
        (True, {"true": "Enabled"}, "Enabled"),
        (3, {"3": "Three"}, "Three"),
        (2.5, None, "2.5"),
        ({"a": "é"}, None, '{"a": "é"}'),
        ([1, 2], None, "[1, 2]"),
    ],
)
def test_display(value: Any, given: dict[str, str] | None, text: str) -> None:
    assert display(value, given) == text


def test_read_field_filters_per_kind_and_blank_inputs_ignored() -> None:
    specs = filter_specs({}, SCHEMA)
    args = MultiDict(
        [
            ("f.tier", "gold"), ("f.tier", "std"), ("f.tier", ""),
            ("f.model", ""),
            ("f.amount.min", "10"), ("f.amount.max", ""),
            ("f.bought.from", "2026-01-01"),
            ("f.vip.is", "false"),
            ("f.serial.prefix", "SN1"), ("f.serial.contains", "50%"),
        ]
    )
    assert read_field_filters(args, specs, form=True) == (
        query.EnumIs("tier", ("gold", "std")),
        query.NumberRange("amount", Decimal("10"), None),
        query.DateRange("bought", "2026-01-01", None, whole_days=True),
        query.FlagIs("vip", False),
        query.TextPrefix("serial", "SN1"),
        query.TextContains("serial", "50%"),
    )
    assert read_field_filters(MultiDict(), specs, form=True) == ()


@pytest.mark.parametrize(
    ("name", "value"),
    [("f.amount.min", "ten"), ("f.vip.is", "maybe"), ("f.amount.max", "nan"), ("sort", "x")],
)
def test_bad_filter_values_are_refused(name: str, value: str) -> None:
    args = MultiDict([(name, value)])
    with pytest.raises(BadFilter):
        read_field_filters(args, filter_specs({}, SCHEMA), form=True)
        read_sort(args)


def test_sort_defaults_to_newest() -> None:
    assert read_sort(MultiDict()) is query.Sort.NEWEST
    assert read_sort(MultiDict([("sort", "oldest")])) is query.Sort.OLDEST


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("f.tier", "\x00", "NUL"),
        ("f.serial.prefix", "SN\x00", "NUL"),
        ("f.serial.contains", "\x00", "NUL"),
        ("f.bought.from", "\x00", "NUL"),
        ("f.bought.to", "2026-01-01\x00", "NUL"),
        ("f.amount.min", "1e999999999", "decimal number"),
        ("f.amount.max", "-1e999999999", "decimal number"),
        ("f.amount.min", "1e-999999999", "decimal number"),
        ("f.amount.min", "9" * 40, "decimal number"),
    ],
)
def test_values_the_database_cannot_take_are_refused_naming_the_input(
    name: str, value: str, says: str
) -> None:
    with pytest.raises(BadFilter) as info:
        read_field_filters(MultiDict([(name, value)]), filter_specs({}, SCHEMA), form=True)
    assert says in str(info.value) and name in str(info.value)


def test_a_filter_name_with_a_newline_is_not_the_field() -> None:
    specs = filter_specs({}, SCHEMA)
    args = MultiDict([("f.serial\n.prefix", "SN"), ("f.tier\n", "gold"), ("f.vip.is\n", "true")])
    assert read_field_filters(args, specs, form=True) == ()
    with pytest.raises(BadFilter):  # the API reads every f. parameter, and refuses these
        read_field_filters(args, specs)


def test_the_sla_cell_counts_down_to_the_next_target(app_ctx: Flask) -> None:
    now = datetime(2026, 10, 9, 10, 0, tzinfo=UTC)
    ticket = Ticket(category="open", first_response_due_at=now + timedelta(minutes=45),
                    resolution_due_at=now + timedelta(days=2, hours=3))
    assert sla_text(ticket, now) == "45m left"
    ticket.first_response_at = now
    assert sla_text(ticket, now) == "2d 3h left"
    ticket.resolution_due_at = now - timedelta(hours=1, minutes=5)
    assert sla_text(ticket, now) == "overdue 1h 5m"
    ticket.sla_paused_at = now
    assert sla_text(ticket, now) == "paused"
    ticket.category = "solved"
    assert sla_text(ticket, now) == ""
    assert sla_text(Ticket(category="new"), now) == ""
