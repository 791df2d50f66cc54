"""Free-text search: the text a ticket is found by, and how terms match it (both backends)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text, update

from app.extensions import db
from app.tickets import query
from app.tickets.errors import BadFilter
from app.tickets.filters import Search, TicketFilters
from app.tickets.models import Ticket
from app.tickets.search import (
    SEPARATOR,
    SearchMode,
    backfill,
    document,
    pattern,
    search_fields,
)
from app.tickets.service import Requester, create_ticket, update_ticket
from app.tickets.templates import TemplateForm, published_template
from forms import compile_form
from tests.app.tickets.conftest import Setting

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "serial": {"type": "string"},
        "model": {"enum": ["X1", "X2"]},
        "bought": {"type": "string", "format": "date"},
        "photo": {"type": "string", "format": "data-url"},
        "scan": {"type": "string", "contentMediaType": "application/pdf"},
        "amount": {"type": "number"},
    },
    "if": {"properties": {"model": {"const": "X2"}}},
    "then": {"properties": {"note": {"type": "string"}}},
}


def test_search_fields_are_the_text_fields_without_files() -> None:
    tf = TemplateForm(
        definition_id=1,
        key="t",
        version=1,
        title="T",
        settings={},
        schema=SCHEMA,
        ui_schema={},
        form=compile_form(SCHEMA, {}),
    )
    assert search_fields(tf) == ("serial", "note")


def test_document_folds_values_and_puts_each_after_a_separator() -> None:
    found = document(
        "TS-000123",
        "Printer  JAMS\non tray 2",
        ("Émile Zola", None, "+86 10-1234"),
        {"serial": "SN\tABC", "model": "X1", "other": "not searched", "note": 5},
        ("serial", "note", "missing"),
    )
    assert found.split(SEPARATOR) == [
        "",
        "ts-000123",
        "printer jams on tray 2",
        "émile zola",
        "+86 10-1234",
        "86101234",
        "sn abc",
    ]
    assert document(None, "", (None, None, None), None, ()) == ""


@pytest.mark.parametrize(
    ("term", "mode", "expected"),
    [
        ("Printer", SearchMode.CONTAINS, ("printer", False)),
        ("  Printer   JAMS ", SearchMode.CONTAINS, ("printer jams", False)),
        ("Pri", SearchMode.PREFIX, ("pri", True)),
        ("pr", SearchMode.CONTAINS, ("pr", True)),  # shorter than 3: a prefix
        ("é", "contains", ("é", True)),
        ("   ", SearchMode.CONTAINS, None),
    ],
)
def test_patterns(term: str, mode: SearchMode | str, expected: tuple[str, bool] | None) -> None:
    assert pattern(term, mode) == expected


def test_an_unknown_mode_is_a_bad_filter() -> None:
    with pytest.raises(BadFilter, match="Unknown search mode 'fuzzy'"):
        pattern("printer", "fuzzy")


# ---------------------------------------------------------------------------------------------
# On the database


def repair_data(**values: Any) -> dict[str, Any]:
    with open("app/demo/definitions/template/repair.json", encoding="utf-8") as handle:
        example: dict[str, Any] = json.load(handle)["formData"]
    return {**example, **values}


@pytest.fixture
def repair_ticket(setting: Setting) -> Callable[..., Ticket]:
    """A ticket of the demo repair template (its text fields are searched) in the setting."""

    def make(subject: str = "Printer jams", requester: Requester | None = None, **data: Any):
        tf = published_template("repair")
        return create_ticket(
            template="repair",
            template_version=tf.version,
            subject=subject,
            department_id=setting.department_id,
            data=repair_data(**data),
            requester=requester or Requester("Li Wei", "li.wei@example.test", "+86 10 1234"),
        )

    return make


def found(
    setting: Setting, term: str, mode: SearchMode = SearchMode.CONTAINS, **kw: Any
) -> list[int]:
    filters = TicketFilters(department_ids={setting.department_id}, search=Search(term, mode), **kw)
    return [t.id for t in query.list_tickets(filters, limit=100).tickets]


def test_search_finds_number_subject_requester_and_text_fields(
    setting: Setting, repair_ticket: Callable[..., Ticket]
) -> None:
    tag = uuid.uuid4().hex[:8]
    a = repair_ticket(f"Toner smudges {tag}", serial_number=f"SNA{tag}")
    b = repair_ticket(
        "Screen flicker",
        Requester(f"Zoë {tag}", f"{tag}@Example.Test", "+86 139-1234-5678"),
        serial_number=f"SNB{tag}",
        parts=f"hinge {tag}x",
    )
    assert found(setting, tag) == [b.id, a.id]  # newest first
    assert found(setting, a.number) == [a.id]
    assert found(setting, a.number[-6:]) == [a.id]  # the digits of the number
    assert found(setting, f"SMUDGES {tag}") == [a.id]  # case-insensitive, across words
    assert found(setting, f"zoË {tag}".upper()) == [b.id]  # non-ASCII letters fold too
    assert found(setting, f"{tag}@EXAMPLE") == [b.id]
    assert found(setting, "13912345678") == [b.id]  # the phone's digits alone
    assert found(setting, f"snb{tag}") == [b.id]  # a text field of the template
    assert found(setting, f"hinge {tag}X") == [b.id]
    assert found(setting, "px_550_mfp") == []  # enum values are not text
    assert found(setting, "nothing like it " + tag) == []


def test_prefix_mode_matches_the_start_of_a_value(
    setting: Setting, repair_ticket: Callable[..., Ticket]
) -> None:
    tag = uuid.uuid4().hex[:8]
    ticket = repair_ticket(f"Qx{tag} printer", serial_number=f"ZZ{tag}")
    assert found(setting, f"qx{tag}", SearchMode.PREFIX) == [ticket.id]
    assert found(setting, f"zz{tag}", SearchMode.PREFIX) == [ticket.id]  # a text field's start
    assert found(setting, f"x{tag}", SearchMode.PREFIX) == []  # inside a value
    assert found(setting, f"x{tag}") == [ticket.id]  # which contains finds
    assert found(setting, ticket.number[:6], SearchMode.PREFIX) == [ticket.id]


def test_short_terms_match_the_start_of_a_value(
    setting: Setting, new_ticket: Callable[..., Ticket]
) -> None:
    starts = new_ticket(subject="Qz jammed tray")
    inside = new_ticket(subject="Tray aqz jammed")
    assert found(setting, "QZ", template=setting.template) == [starts.id]
    assert found(setting, "q", template=setting.template) == [starts.id]
    assert inside.id in found(setting, "aqz", template=setting.template)


def test_wildcards_in_a_term_are_literal(
    setting: Setting, new_ticket: Callable[..., Ticket]
) -> None:
    literal = new_ticket(subject="Discount 50% off_line")
    new_ticket(subject="Discount 501 offXline")
    assert found(setting, "50%", template=setting.template) == [literal.id]
    assert found(setting, "f_l", template=setting.template) == [literal.id]


def test_an_edit_refreshes_the_search_text(
    setting: Setting, repair_ticket: Callable[..., Ticket]
) -> None:
    tag = uuid.uuid4().hex[:8]
    ticket = repair_ticket(f"Old {tag}")
    update_ticket(
        ticket.id,
        {"subject": f"Fresh {tag}", "data": repair_data(serial_number=f"NEW{tag}")},
        ticket.lock_version,
        None,
    )
    assert found(setting, f"old {tag}") == []
    assert found(setting, f"fresh {tag}") == [ticket.id]
    assert found(setting, f"new{tag}") == [ticket.id]


def test_search_pages_with_a_cursor(setting: Setting, new_ticket: Callable[..., Ticket]) -> None:
    tag = uuid.uuid4().hex[:8]
    made = [new_ticket(subject=f"Pager {tag} {n}").id for n in range(5)]
    filters = TicketFilters(search=Search(f"pager {tag}"), sort=query.Sort.OLDEST)
    first = query.list_tickets(filters, limit=3)
    second = query.list_tickets(filters, after=first.next_cursor, limit=3)
    assert [t.id for t in first.tickets + list(second.tickets)] == made
    assert second.next_cursor is None
    assert query.count_tickets(filters) == (5, False)


def test_backfill_writes_the_text_of_stored_tickets(
    app_ctx: Flask, setting: Setting, repair_ticket: Callable[..., Ticket]
) -> None:
    tag = uuid.uuid4().hex[:8]
    ticket = repair_ticket(f"Backfilled {tag}", serial_number=f"BF{tag}")
    expected = ticket.search_text
    db.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(search_text=None))
    db.session.commit()
    assert found(setting, f"bf{tag}") == []
    with db.engine.begin() as conn:
        assert backfill(conn, batch=7) >= 1
    assert found(setting, f"bf{tag}") == [ticket.id]
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).search_text == expected  # type: ignore[union-attr]


@pytest.mark.backend("postgresql")
def test_a_trigram_index_serves_the_search(
    app_ctx: Flask, setting: Setting, new_ticket: Callable[..., Ticket]
) -> None:
    definition = db.session.scalar(
        text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_ticket_search'")
    )
    assert definition is not None and "gin" in definition and "gin_trgm_ops" in definition
    ticket = new_ticket(subject="Rare term " + uuid.uuid4().hex)
    term = ticket.subject.split()[-1][:12]
    filters = TicketFilters(search=Search(term))
    conn = db.session.connection()
    # A test table is tiny: without these the planner rightly reads it in order instead.
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    conn.exec_driver_sql("SET LOCAL enable_indexscan = off")
    plan = query.explain(conn, query.list_statement(filters))
    assert "ix_ticket_search" in plan, plan
    for mode in SearchMode:  # prefix patterns too, even of one character
        short = query.list_statement(TicketFilters(search=Search(term[:1], mode)))
        assert "ix_ticket_search" in query.explain(conn, short)
    db.session.rollback()


def _probed(
    monkeypatch: pytest.MonkeyPatch, estimate: int, probe: int | None = None
) -> None:
    """Make the planner's estimate `estimate` (and the probe `probe` rows), on both backends."""
    monkeypatch.setattr(query, "estimate_tickets", lambda filters, session=None: estimate)
    if probe is not None:
        monkeypatch.setattr(query, "SEARCH_PROBE_ROWS", probe)


def test_a_search_probe_counts_matches_among_the_other_filters_candidates(
    setting: Setting, new_ticket: Callable[..., Ticket]
) -> None:
    tag = uuid.uuid4().hex[:8]
    for n in range(4):
        new_ticket(subject=f"Probe{tag} {n}")
    for n in range(2):
        new_ticket(subject=f"Other {n}")
    filters = TicketFilters(department_ids={setting.department_id}, search=Search(f"probe{tag}"))
    assert tuple(db.session.execute(query.search_probe_statement(filters)).one()) == (4, 6)
    found, read = db.session.execute(query.search_probe_statement(filters, probe=3)).one()
    assert read == 3 and 1 <= found <= 3
    with pytest.raises(ValueError):
        query.search_probe_statement(TicketFilters(search=Search("  ")))


def test_a_search_expected_above_the_cap_counts_from_the_probe(
    setting: Setting, new_ticket: Callable[..., Ticket], monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = uuid.uuid4().hex[:8]
    for n in range(4):
        new_ticket(subject=f"Many{tag} {n}")
    new_ticket(subject="Unrelated")
    filters = TicketFilters(department_ids={setting.department_id}, search=Search(f"many{tag}"))
    monkeypatch.setattr(query, "count_statement", None)  # the probe answers, never a count
    _probed(monkeypatch, estimate=11)
    # every candidate read (5 < the probe's rows): the count is exact
    assert query.count_tickets(filters, cap=10) == (4, False)
    # more matches than the cap among the candidates
    _probed(monkeypatch, estimate=4)
    assert query.count_tickets(filters, cap=3) == (3, True)
    # the probe stops before the candidates do: a lower bound, at least what was seen
    _probed(monkeypatch, estimate=11, probe=1)
    found = query.count_tickets(filters, cap=10)
    assert found[1] is True and found[0] <= 1
    assert query.count_tickets(filters, cap=10, at_least=3) == (3, True)
    assert query.count_tickets(filters, cap=10, at_least=50) == (10, True)


def test_a_search_expected_at_or_below_the_cap_is_counted(
    setting: Setting, new_ticket: Callable[..., Ticket], monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = uuid.uuid4().hex[:8]
    for n in range(3):
        new_ticket(subject=f"Few{tag} {n}")
    filters = TicketFilters(department_ids={setting.department_id}, search=Search(f"few{tag}"))
    monkeypatch.setattr(query, "search_probe_statement", None)  # counted, never probed
    _probed(monkeypatch, estimate=10)
    assert query.count_tickets(filters, cap=10) == (3, False)
    # a blank term searches nothing: counted as the other filters
    blank = TicketFilters(department_ids={setting.department_id}, search=Search(" "))
    assert query.count_tickets(blank, cap=1) == (1, True)
