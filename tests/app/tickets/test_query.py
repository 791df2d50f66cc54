"""The list query: every filter kind returns exactly the right rows, pages cover every row once."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import utcnow
from app.tickets import query
from app.tickets.errors import BadCursor, BadFilter
from app.tickets.models import Ticket
from app.tickets.query import (
    UNASSIGNED,
    DateRange,
    EnumIs,
    FieldFilter,
    FlagIs,
    NumberRange,
    TextPrefix,
    TicketFilters,
    count_tickets,
    decode_cursor,
    encode_cursor,
    list_tickets,
    prefix_successor,
)
from tests.app.tickets.bulk import matches
from tests.app.tickets.conftest import Setting

REGIONS = ["north", "south", "east", "west", "中部"]
SERIALS = ["AB-100", "AB-200", "ab-300", "AC-1", "AB", "A", "XY%_1", "漢字-9"]


def _random_data(rng: random.Random) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if rng.random() < 0.9:
        data["region"] = rng.choice(REGIONS)
    roll = rng.random()
    if roll < 0.7:
        data["amount"] = rng.choice([rng.randint(-5, 500), round(rng.uniform(0, 500), 2)])
    elif roll < 0.8:
        data["amount"] = "120"  # a string in a number's place never matches a number range
    if rng.random() < 0.85:
        data["due"] = (utcnow().date() - timedelta(days=rng.randint(0, 90))).isoformat()
    if rng.random() < 0.9:
        data["serial"] = rng.choice(SERIALS) + str(rng.randint(0, 9)) * rng.randint(0, 1)
    if rng.random() < 0.8:
        data["vip"] = rng.random() < 0.3
    return data


@pytest.fixture
def tickets(setting: Setting) -> list[Ticket]:
    """70 tickets in two templates, some sharing one created_at (ties break on id)."""
    from app.tickets.service import create_ticket

    rng = random.Random(5)
    made = []
    for n in range(70):
        made.append(
            create_ticket(
                template=setting.template if n % 5 else setting.template + "_b",
                template_version=1,
                subject=f"Ticket {n}",
                department_id=setting.department_id if n % 3 else setting.other_department_id,
                assignee_id=[None, setting.agent_id, setting.other_agent_id][n % 4 % 3],
                state=["new", "open", "solved"][n % 7 % 3],
                data=_random_data(rng),
            )
        )
    tied = utcnow() - timedelta(hours=1)
    ids = [t.id for t in made[10:20]]
    db.session.execute(update(Ticket).where(Ticket.id.in_(ids)).values(created_at=tied))
    db.session.commit()
    db.session.expire_all()
    return made


def _field_matches(value: Any, f: FieldFilter) -> bool:
    if isinstance(f, EnumIs):
        return value is not None and not isinstance(value, bool) and str(value) in f.values
    if isinstance(f, NumberRange):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        number = Decimal(str(value))
        return (f.low is None or number >= f.low) and (f.high is None or number <= f.high)
    if isinstance(f, DateRange):
        return (
            isinstance(value, str)
            and (f.start is None or value >= f.start)
            and (f.end is None or value <= f.end)
        )
    if isinstance(f, TextPrefix):
        return isinstance(value, str) and value.startswith(f.prefix)
    assert isinstance(f, FlagIs)
    return value is f.value


def _all_pages(filters: TicketFilters, limit: int) -> list[Ticket]:
    rows: list[Ticket] = []
    cursor = None
    for _ in range(100):
        page = list_tickets(filters, after=cursor, limit=limit)
        rows.extend(page.tickets)
        if page.next_cursor is None:
            return rows
        assert len(page.tickets) == limit
        cursor = page.next_cursor
    raise AssertionError("pagination does not end")


def _expected(tickets: list[Ticket], filters: TicketFilters) -> list[int]:
    chosen = [t for t in tickets if matches(t, filters, _field_matches)]
    chosen.sort(key=lambda t: (t.created_at, t.id), reverse=True)
    return [t.id for t in chosen]


def _day(days: int) -> str:
    return (utcnow().date() - timedelta(days=days)).isoformat()


FIELD_CASES: list[tuple[str, tuple[FieldFilter, ...]]] = [
    ("enum", (EnumIs("region", ("north",)),)),
    ("enum any of", (EnumIs("region", ("south", "中部")),)),
    ("enum none", (EnumIs("region", ()),)),
    ("number range", (NumberRange("amount", Decimal("10"), Decimal("200.5")),)),
    ("number low only", (NumberRange("amount", low=Decimal("250")),)),
    ("number high only", (NumberRange("amount", high=Decimal("0")),)),
    ("number present", (NumberRange("amount"),)),
    ("date range", (DateRange("due", _day(30), _day(10)),)),
    ("date from", (DateRange("due", start=_day(7)),)),
    ("date until", (DateRange("due", end=_day(60)),)),
    ("text prefix", (TextPrefix("serial", "AB"),)),
    ("text prefix case", (TextPrefix("serial", "ab"),)),
    ("text prefix wildcard chars", (TextPrefix("serial", "XY%_"),)),
    ("text prefix unicode", (TextPrefix("serial", "漢"),)),
    ("flag true", (FlagIs("vip", True),)),
    ("flag false", (FlagIs("vip", False),)),
    ("combined", (EnumIs("region", ("north", "east")), NumberRange("amount", Decimal("0")))),
]


def test_field_filters_return_exactly_the_matching_rows(
    setting: Setting, tickets: list[Ticket]
) -> None:
    sizes = []
    for name, fields in FIELD_CASES:
        filters = TicketFilters(template=setting.template, fields=fields)
        expected = _expected(tickets, filters)
        assert [t.id for t in _all_pages(filters, limit=7)] == expected, name
        assert count_tickets(filters) == (len(expected), False), name
        sizes.append(len(expected))
    # The data make the cases non-trivial: most match some rows of the template, not all.
    assert sum(1 for n in sizes if 0 < n < 56) >= len(FIELD_CASES) - 2, sizes


def test_system_filters_and_scoping(setting: Setting, tickets: list[Ticket]) -> None:
    scope = [setting.department_id, setting.other_department_id]
    cases = [
        TicketFilters(department_ids=scope),
        TicketFilters(department_ids=[setting.other_department_id]),
        TicketFilters(department_ids=[]),
        TicketFilters(department_ids=scope, states=("new",)),
        TicketFilters(department_ids=scope, states=("new", "open"), assignee=UNASSIGNED),
        TicketFilters(department_ids=scope, assignee=setting.agent_id),
        TicketFilters(template=setting.template + "_b", department_ids=scope),
    ]
    for filters in cases:
        assert [t.id for t in _all_pages(filters, limit=9)] == _expected(tickets, filters), filters


def test_keyset_pages_cover_every_row_once_in_order(
    setting: Setting, tickets: list[Ticket]
) -> None:
    filters = TicketFilters(department_ids=[setting.department_id, setting.other_department_id])
    expected = _expected(tickets, filters)
    assert len(expected) == 70
    for limit in (1, 10, 50, 69, 70, 71):
        assert [t.id for t in _all_pages(filters, limit)] == expected
    first = list_tickets(filters, limit=50)
    assert first.next_cursor is not None
    again = list_tickets(filters, after=first.next_cursor, limit=50)
    assert [t.id for t in again.tickets] == expected[50:]
    assert again.next_cursor is None


@pytest.mark.parametrize("probe_rows", [5000, 12, 0])
def test_date_ranges_whether_the_probe_suffices_or_not(
    setting: Setting, tickets: list[Ticket], probe_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A date-range page comes from the newest rows when enough match, else from all matches."""
    monkeypatch.setattr(query, "PROBE_ROWS", probe_rows)
    scope = [setting.department_id, setting.other_department_id]
    cases = [
        TicketFilters(template=setting.template, fields=(DateRange("due", _day(60)),)),
        TicketFilters(template=setting.template, fields=(DateRange("due", _day(30), _day(10)),)),
        TicketFilters(department_ids=scope, fields=(DateRange("due", end=_day(45)),)),
        TicketFilters(
            department_ids=scope,
            states=("new", "open"),
            fields=(DateRange("due", _day(80)), EnumIs("region", ("north", "south"))),
        ),
    ]
    for filters in cases:
        expected = _expected(tickets, filters)
        for limit in (1, 3, 50):
            assert [t.id for t in _all_pages(filters, limit)] == expected, (filters, limit)


def test_capped_count(setting: Setting, tickets: list[Ticket]) -> None:
    filters = TicketFilters(department_ids=[setting.department_id, setting.other_department_id])
    assert count_tickets(filters, cap=1000) == (70, False)
    assert count_tickets(filters, cap=70) == (70, False)
    assert count_tickets(filters, cap=69) == (69, True)
    assert count_tickets(filters, cap=5) == (5, True)


def test_count_trusts_a_far_larger_estimate(
    setting: Setting, tickets: list[Ticket], backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    filters = TicketFilters(department_ids=[setting.department_id, setting.other_department_id])
    estimate = query.estimate_tickets(filters)
    if backend == "sqlite":
        assert estimate is None
        return
    assert estimate is not None and estimate >= 1
    assert count_tickets(filters, cap=1000) == (70, False)  # estimate not far above: counted
    # An estimate far above the cap answers without counting (PostgreSQL estimates ≥ 1 row).
    monkeypatch.setattr(query, "ESTIMATE_MARGIN", 0)
    monkeypatch.setattr(query, "count_statement", None)  # counting would fail
    assert count_tickets(filters, cap=1000) == (1000, True)


def test_cursor_round_trip_and_tampering() -> None:
    stamp = utcnow()
    assert decode_cursor(encode_cursor(stamp, 42)) == (stamp, 42)
    for bad in ["", "!!!", "bm90IGpzb24", encode_cursor(stamp, 1)[:-3], "WyJ4IiwxXQ"]:
        with pytest.raises(BadCursor):
            decode_cursor(bad)
    with pytest.raises(BadCursor):
        list_tickets(TicketFilters(), after="garbage")


def test_bad_filters_are_refused(app_ctx: object) -> None:
    with pytest.raises(BadFilter):
        list_tickets(TicketFilters(fields=(EnumIs("x'; drop table ticket; --", ("a",)),)))
    with pytest.raises(BadFilter):
        list_tickets(TicketFilters(fields=(NumberRange("amount", low="many"),)))  # type: ignore[arg-type]
    with pytest.raises(BadFilter):
        list_tickets(TicketFilters(), limit=0)
    with pytest.raises(BadFilter):
        count_tickets(TicketFilters(), cap=0)


def test_prefix_successor() -> None:
    assert prefix_successor("AB") == "AC"
    assert prefix_successor("a\U0010ffff") == "b"
    assert prefix_successor("\U0010ffff") is None
    assert prefix_successor("\ud7ff") == "\ue000"


def test_number_bounds_accept_floats_as_decimals(setting: Setting, tickets: list[Ticket]) -> None:
    as_float = TicketFilters(
        template=setting.template, fields=(NumberRange("amount", 10.5, 99.25),)
    )  # type: ignore[arg-type]
    as_decimal = TicketFilters(
        template=setting.template,
        fields=(NumberRange("amount", Decimal("10.5"), Decimal("99.25")),),
    )
    assert [t.id for t in list_tickets(as_float, limit=500).tickets] == _expected(
        tickets, as_decimal
    )


def test_a_bare_end_date_takes_in_that_whole_day_of_date_time_values(
    setting: Setting, new_ticket: Any
) -> None:
    stamps = [
        "2026-01-19T23:59:59Z", "2026-01-20T00:00:00Z", "2026-01-20T23:59:59.999Z",
        "2026-01-21T00:00:00Z", "2026-01-20",
    ]
    ids = {stamp: new_ticket(data={"seen_at": stamp}).id for stamp in stamps}

    def found(start: str | None, end: str | None) -> set[str]:
        window = DateRange("seen_at", start, end)
        filters = TicketFilters(template=setting.template, fields=(window,))
        listed = {t.id for t in list_tickets(filters, limit=50).tickets}
        return {stamp for stamp, ticket_id in ids.items() if ticket_id in listed}

    assert found("2026-01-20", "2026-01-20") == {
        "2026-01-20T00:00:00Z", "2026-01-20T23:59:59.999Z", "2026-01-20",
    }
    assert found(None, "2026-01-19") == {"2026-01-19T23:59:59Z"}
    # a bound with a time of day is taken as given
    assert found(None, "2026-01-20T00:00:00Z") == {
        "2026-01-19T23:59:59Z", "2026-01-20T00:00:00Z", "2026-01-20",
    }
    assert found("2026-01-21", "9999-12-31") == {"2026-01-21T00:00:00Z"}
