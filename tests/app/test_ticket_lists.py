"""The list page's pure helpers: columns, labels, values as text, filters from the query.

The filters are read by `app.tickets.filters` in its form mode (every mode: test_filters.py).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from app.definitions.filterable import filter_specs
from app.extensions import db
from app.models import Department
from app.security import security_manager
from app.tickets import query
from app.tickets.errors import BadFilter
from app.tickets.filters import read_field_filters
from app.tickets.models import Ticket
from app.tickets.service import create_ticket
from app.tickets.templates import TemplateForm, published_template
from app.views.ticket_lists import (
    column_sorts,
    columns,
    display,
    field_labels,
    labels,
    read_sort,
    sla_text,
    sort_links,
    sort_options,
    sortable,
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
        (True, None, "Yes"),
        (False, {}, "No"),
        (True, {"true": "Enabled"}, "Enabled"),
        (3, {"3": "Three"}, "Three"),
        (2.5, None, "2.5"),
        ({"a": "é", "b": None}, None, "a: é"),
        ([1, 2], None, "1, 2"),
        (["gold", "std"], {"gold": "Gold"}, "Gold, std"),
        ("attachment:7;name=scan%201.pdf", None, "scan 1.pdf"),
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


# ---------------------------------------------------------------------------------------------
# The list page: search, system filters and sortable headers


def _department(key: str) -> int:
    found = db.session.scalar(select(Department.id).where(Department.key == key))
    assert found is not None
    return int(found)


def _user(username: str) -> int:
    return int(security_manager().find_user(username=username).id)


def _listed_numbers(client: Any, numbers: dict[str, str], **args: str) -> set[str]:
    page = client.get("/tickets/", query_string=args)
    assert page.status_code == 200, page.text
    rows = page.text.split('id="tickets"', 1)[1]
    return {name for name, number in numbers.items() if number in rows}


@pytest.fixture
def three(app: Flask) -> dict[str, Any]:
    """Three tickets sharing a search tag: a (billing, high, agent3), b (repair, low, closed,
    unassigned), c (billing, urgent, admin's), created and updated on days of their own."""
    tag = "qz" + uuid.uuid4().hex[:10]
    made: dict[str, str] = {}
    with app.app_context():
        version = published_template("refund").version
        specs = {
            "a": ("billing", "high", "agent3", "2026-01-10", "2026-01-11"),
            "b": ("repair", "low", None, "2026-03-05", "2026-03-20"),
            "c": ("billing", "urgent", "admin", "2026-02-01", "2026-02-02"),
        }
        for name, (dept, priority, user, created, updated) in specs.items():
            ticket = create_ticket(
                template="refund", template_version=version, subject=f"{tag} {name} refund",
                department_id=_department(dept), data={}, priority=priority,
                assignee_id=_user(user) if user else None,
            )
            values: dict[str, Any] = {
                "created_at": datetime.fromisoformat(created + "T09:00+00:00"),
                "updated_at": datetime.fromisoformat(updated + "T09:00+00:00"),
            }
            if name == "b":
                values.update(state="closed", category="closed")
            db.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(values))
            db.session.commit()
            made[name] = ticket.number
        agent3 = _user("agent3")
        repair = _department("repair")
        db.session.remove()
    return {"tag": tag, "numbers": made, "agent3": agent3, "repair": repair}


def test_each_filter_narrows_the_list_page(client_as: Any, three: dict[str, Any]) -> None:
    client = client_as("admin")
    tag, numbers = three["tag"], three["numbers"]

    def shown(**args: str) -> set[str]:
        return _listed_numbers(client, numbers, q=tag, **args)

    assert shown() == {"a", "b", "c"}
    assert _listed_numbers(client, numbers, q=tag.upper()) == {"a", "b", "c"}
    assert shown(q_mode="prefix") == {"a", "b", "c"}  # the subjects start with the tag
    assert _listed_numbers(client, numbers, q=tag[2:], q_mode="prefix") == set()
    assert shown(priority="high") == {"a"}
    assert shown(category="closed") == {"b"}
    assert shown(state="closed") == {"b"}
    assert shown(assignee="unassigned") == {"b"}
    assert shown(assignee="me") == {"c"}
    assert shown(assignee=str(three["agent3"])) == {"a"}
    assert shown(department=str(three["repair"])) == {"b"}
    assert shown(created_from="2026-02-01") == {"b", "c"}
    assert shown(created_to="2026-01-31") == {"a"}
    assert shown(created_from="2026-02-01", created_to="2026-02-01") == {"c"}  # that whole day
    assert shown(updated_from="2026-03-15") == {"b"}
    assert shown(updated_to="2026-02-02", priority="urgent") == {"c"}
    assert shown(template="refund", priority="urgent", view="all") == {"c"}
    assert shown(view="mine") == {"c"}
    assert shown(view="mine", assignee="unassigned") == {"c"}  # "mine" keeps its assignee


def test_bad_filters_answer_400_naming_the_parameter(client_as: Any) -> None:
    client = client_as("agent")
    for name, value, says in [
        ("priority", "critical", "priority must be among"),
        ("created_from", "2026-13-01", "created_from must be an ISO date"),
        ("q_mode", "fuzzy", "q_mode must be one of"),
        ("department", "billing", "department must be"),
    ]:
        page = client.get("/tickets/", query_string={name: value})
        assert page.status_code == 400
        assert says in page.text.split('id="filter-error"', 1)[1].split("</div>", 1)[0]


def test_the_department_filter_offers_and_shows_only_visible_ones(
    client_as: Any, three: dict[str, Any]
) -> None:
    agent = client_as("agent")  # agent3: billing only
    page = agent.get("/tickets/").text
    options = page.split('id="filter-department"', 1)[1].split("</select>", 1)[0]
    assert "Billing" in options and "Repair" not in options
    numbers = three["numbers"]
    assert _listed_numbers(agent, numbers, q=three["tag"]) == {"a", "c"}
    assert _listed_numbers(agent, numbers, q=three["tag"], department=str(three["repair"])) == (
        set()
    )


def test_the_filter_panel_opens_when_filters_are_active(client_as: Any) -> None:
    client = client_as("agent")
    assert '<details id="ticket-filter-panel" >' in client.get("/tickets/").text
    assert '<details id="ticket-filter-panel" open>' in client.get("/tickets/?priority=high").text
    assert '<details id="ticket-filter-panel" >' in client.get("/tickets/?view=mine").text
    assert '<details id="ticket-filter-panel" >' in client.get("/tickets/?q=ab").text  # outside
    page = client.get("/tickets/?q=ab&department=1").text
    assert '<details id="ticket-filter-panel" open>' in page
    assert "Terms shorter than 3 characters match the start of a value." in page
    assert 'href="/static/tessera/ticket-lists.css"' in page


def _header(page: str, column: str) -> tuple[str, dict[str, list[str]]]:
    """(the th's attributes, the query of its link) of a sortable column header."""
    found = rf'<th([^>]*)>\s*<a class="ticket-sort" id="sort-{column}" href="([^"]+)"'
    match = re.search(found, page)
    assert match, f"no sortable header {column}"
    link = match.group(2).replace("&amp;", "&")
    return match.group(1), parse_qs(urlsplit(link).query)


def test_sort_headers_toggle_and_keep_the_other_parameters(client_as: Any) -> None:
    client = client_as("agent")
    page = client.get(
        "/tickets/", query_string={"q": "refund", "priority": "high", "cursor": "x"}
    ).text
    attrs, args = _header(page, "created")
    assert 'aria-sort="descending"' in attrs
    assert args == {"q": ["refund"], "priority": ["high"], "sort": ["oldest"]}  # no cursor
    assert _header(page, "number")[1]["sort"] == ["oldest"]
    attrs, args = _header(page, "updated")
    assert "aria-sort" not in attrs and args["sort"] == ["recently_updated"]
    assert _header(page, "due")[1]["sort"] == ["due"]

    page = client.get("/tickets/", query_string={"sort": "oldest"}).text
    attrs, args = _header(page, "created")
    assert 'aria-sort="ascending"' in attrs and args["sort"] == ["newest"]
    page = client.get("/tickets/", query_string={"sort": "recently_updated"}).text
    attrs, args = _header(page, "updated")
    assert 'aria-sort="descending"' in attrs and args["sort"] == ["least_recently_updated"]
    assert _header(page, "created")[1]["sort"] == ["newest"]
    page = client.get("/tickets/", query_string={"sort": "due"}).text
    attrs, args = _header(page, "due")
    assert 'aria-sort="ascending"' in attrs and args["sort"] == ["due"]  # one direction only


def test_sort_headers_order_the_list(client_as: Any, three: dict[str, Any]) -> None:
    client = client_as("admin")
    numbers = three["numbers"]

    def follow(page: str, column: str) -> tuple[str, str]:
        """The page its header leads to, and the order the three tickets show in there."""
        text = client.get("/tickets/", query_string=_header(page, column)[1]).text
        return text, "".join(sorted(numbers, key=lambda n: text.index(numbers[n])))

    first = client.get("/tickets/", query_string={"q": three["tag"]}).text
    oldest, order = follow(first, "created")
    assert order == "acb"
    assert follow(oldest, "created")[1] == "bca"
    assert follow(oldest, "number")[1] == "bca"
    updated, order = follow(first, "updated")
    assert order == "bca"  # recently updated first
    assert follow(updated, "updated")[1] == "acb"


# ---------------------------------------------------------------------------------------------
# Custom-field sorts


def test_a_template_list_sorts_by_its_filterable_fields() -> None:
    tf = template(list_columns=["/amount", "/address/city", "/tier", "/vip"])
    offered = sortable(tf)
    assert [(s.name, s.kind) for s in column_sorts(tf, columns(tf))] == [
        ("amount", "number"), ("tier", "enum"), ("vip", "boolean"),  # not the object
    ]
    given = MultiDict([("sort", "-f.amount")])
    assert read_sort(given, offered, "t") == query.FieldSort("amount", "number", True)
    assert read_sort(MultiDict([("sort", "f.bought")]), offered, "t").kind == "date"
    for sort, says in [("f.address", "cannot sort by"), ("f.nope", "cannot sort by")]:
        with pytest.raises(BadFilter, match=says):
            read_sort(MultiDict([("sort", sort)]), offered, "t")
    with pytest.raises(BadFilter, match="needs a template"):
        read_sort(given, offered, None)


def test_a_custom_column_header_sorts_ascending_then_descending() -> None:
    tf = template(list_columns=["/amount", "/tier"])
    fields = column_sorts(tf, columns(tf))
    args = MultiDict([("template", "t"), ("cursor", "x"), ("q", "jam")])
    links = sort_links(args, query.Sort.NEWEST, fields)
    assert links["f.amount"].args == {"template": ["t"], "q": ["jam"], "sort": ["f.amount"]}
    assert links["f.amount"].order is None and links["created"].order == "descending"
    links = sort_links(args, query.FieldSort("amount", "number"), fields)
    assert links["f.amount"].args["sort"] == ["-f.amount"]
    assert links["f.amount"].order == "ascending" and links["created"].order is None
    assert links["f.tier"].args["sort"] == ["f.tier"]
    links = sort_links(args, query.FieldSort("amount", "number", descending=True), fields)
    assert links["f.amount"].args["sort"] == ["f.amount"]
    assert links["f.amount"].order == "descending"
    assert set(sort_options(fields, {"amount": "Amount"})) >= {"newest", "f.amount", "-f.tier"}


@pytest.fixture
def refunds(app: Flask) -> dict[str, Any]:
    """Five billing refunds sharing a search tag; amounts 30, 10.5, none, 20, 10.5."""
    tag = "qs" + uuid.uuid4().hex[:10]
    made: dict[str, str] = {}
    with app.app_context():
        version = published_template("refund").version
        start = datetime(2026, 4, 1, 9, tzinfo=UTC)
        for n, (name, amount) in enumerate(
            [("a", 30), ("b", 10.5), ("c", None), ("d", 20), ("e", 10.5)]
        ):
            data: dict[str, Any] = {"reason": "other", "currency": "EUR"}
            if amount is not None:
                data["refund_amount"] = amount
            ticket = create_ticket(
                template="refund", template_version=version, subject=f"{tag} {name} refund",
                department_id=_department("billing"), data=data,
            )
            stamp = start + timedelta(days=n)
            db.session.execute(
                update(Ticket).where(Ticket.id == ticket.id).values(
                    created_at=stamp, updated_at=stamp
                )
            )
            db.session.commit()
            made[name] = ticket.number
        db.session.remove()
    return {"tag": tag, "numbers": made}


def _order(text: str, numbers: dict[str, str]) -> str:
    rows = text.split('id="tickets"', 1)[1]
    shown = [n for n in numbers if numbers[n] in rows]
    return "".join(sorted(shown, key=lambda n: rows.index(numbers[n])))


def test_custom_column_headers_order_the_list_and_page_by_cursor(
    client_as: Any, refunds: dict[str, Any]
) -> None:
    client = client_as("agent")  # agent3: billing
    numbers = refunds["numbers"]
    first = client.get("/tickets/", query_string={"template": "refund", "q": refunds["tag"]})
    attrs, args = _header(first.text, "f-refund_amount")
    assert "aria-sort" not in attrs and args["sort"] == ["f.refund_amount"]
    up = client.get("/tickets/", query_string=args)
    assert up.status_code == 200
    assert _order(up.text, numbers) == "ebdac"  # ties newest first, no amount last
    attrs, args = _header(up.text, "f-refund_amount")
    assert 'aria-sort="ascending"' in attrs and args["sort"] == ["-f.refund_amount"]
    assert '<option value="f.refund_amount" selected>' in up.text
    down = client.get("/tickets/", query_string=args)
    assert _order(down.text, numbers) == "adbec"
    assert 'aria-sort="descending"' in _header(down.text, "f-refund_amount")[0]
    seen = ""
    page_args: dict[str, Any] = {**args, "limit": "2"}
    for _ in range(5):
        page = client.get("/tickets/", query_string=page_args)
        assert page.status_code == 200, page.text
        seen += _order(page.text, numbers)
        link = re.search(r'id="next-page"[^>]*href="([^"]+)"', page.text)
        if link is None:
            break
        page_args = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
    assert seen == "adbec"


def test_a_custom_field_sort_needs_a_template(client_as: Any) -> None:
    client = client_as("agent")
    page = client.get("/tickets/", query_string={"sort": "f.refund_amount"})
    assert page.status_code == 400
    error = page.text.split('id="filter-error"', 1)[1].split("</div>", 1)[0]
    assert "needs a template" in error
    plain = client.get("/tickets/").text
    assert 'id="sort-f-' not in plain and 'value="f.' not in plain.split('id="filter-sort"')[1]
    # A filterable field that is no column sorts too (by URL); a field that is none does not.
    assert client.get("/tickets/?template=refund&sort=-f.summary").status_code == 200
    assert client.get("/tickets/?template=refund&sort=f.nope").status_code == 400
