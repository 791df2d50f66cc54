"""Generated bad input on the agent's ticket pages: never a 5xx, and a refused post writes nothing.

Each page route gets ~50 generated requests (derandomized: the same ones every run) whose text
holds what the databases refuse or overflow: NUL, lone surrogates (sent as the bytes
`%ED%A0%80`, which Werkzeug keeps as that percent text), newlines, numbers beyond every range,
very long strings, JSON and pointer syntax, plus names that no page offers. The query strings
and bodies are encoded by hand so that anything a client can send is sent; the inputs once
answered with a 500 are explicit examples.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.extensions import db
from app.tickets.models import Comment, Ticket, TicketEvent
from tests.app.test_ticket_views import (
    lock_version,
    make_ticket,
    order_number,
    posted,
    refund_data,
)

FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FORM = "application/x-www-form-urlencoded"

# What the databases refuse or cannot hold, then what parsers commonly trip over.
DANGEROUS = [
    "\x00", "a\x00b", "\ud800", "x\ud800y", "x\n", "1e999999999", "-1e999999999",
    "1e-999999999", "9" * 5000, "x" * 20000,
]
ODD = [
    "", " ", "\n", "\r\n", "\t", "-0", "NaN", "Infinity", "0x10", "1_000", "١٢",
    "2024-02-30", "2024-01-01T25:00", "true", "null", "[]", "{}", '{"a": 1}', "/", "~1",
    "%00", "<script>alert(1)</script>", "' OR 1=1 --", "é" * 400, "🎫" * 100,
]
text = st.one_of(
    st.sampled_from(DANGEROUS),
    st.sampled_from(DANGEROUS),
    st.sampled_from(DANGEROUS).map(lambda v: "SO-12345678" + v),  # after a valid prefix
    st.sampled_from(ODD),
    st.text(max_size=30),
    st.lists(st.sampled_from(DANGEROUS + ODD), min_size=2, max_size=3).map("".join),
)
Pairs = list[tuple[str, str]]


def encoded(pairs: Pairs) -> str:
    """The pairs as a browser would encode them, lone surrogates as their UTF-8 bytes."""
    return urlencode(pairs, encoding="utf-8", errors="surrogatepass")


def assert_not_5xx(response: Any, sent: Any) -> None:
    assert response.status_code < 500, (sent, response.status_code, response.text[:500])


def counts(app: Flask, ticket_id: int | None = None) -> tuple[int, ...]:
    """(tickets, events, comments) — of one ticket when given — to see that nothing was written."""
    with app.app_context():
        tickets = db.session.scalar(select(func.count()).select_from(Ticket)) or 0
        found = [int(tickets)]
        if ticket_id is not None:
            for model in (TicketEvent, Comment):
                found.append(
                    int(db.session.scalar(
                        select(func.count()).select_from(model).where(model.ticket_id == ticket_id)
                    ) or 0)
                )
        db.session.remove()
    return tuple(found)


def path_part(value: str) -> str:
    return quote(value, safe="", errors="surrogatepass")


@pytest.fixture
def agent(client_as: Callable[[str], FlaskClient]) -> FlaskClient:
    return client_as("agent")  # Billing: refund tickets are theirs


# ---------------------------------------------------------------------------------------------
# The list page


FILTER_NAMES = [
    "f.order_number.prefix", "f.order_number.contains", "f.refund_amount.min",
    "f.refund_amount.max", "f.reason", "f.currency", "f.contact.contains", "f.customer_tier",
    "f.compensation_amount.min", "f.escalate.is", "f.purchase_date.from", "f.purchase_date.to",
    "f.serial_number.prefix", "f.x\n", "f.x\n.prefix", "f.\x00", "f.reason.\x00", "f.a.b.c",
    "f..min", "f.1.min", "f." + "a" * 100,
]
list_params = st.lists(
    st.tuples(
        st.sampled_from(
            ["template", "view", "sort", "cursor", "limit", *FILTER_NAMES, "other"]
        ) | text.map(lambda name: "f." + name),
        text,
    ),
    max_size=6,
)
templates = st.sampled_from(["refund", "complaint", "repair", "it_support"]) | text


def test_list_page_never_fails(app: Flask, client_as: Callable[[str], FlaskClient]) -> None:
    admin = client_as("admin")  # every department: every template's filters

    @FUZZ
    @given(templates, list_params)
    @example("complaint", [("f.customer_tier", "\x00")])  # the inputs once answered with 500
    @example("refund", [("f.order_number.prefix", "\x00")])
    @example("repair", [("f.purchase_date.from", "\x00"), ("f.purchase_date.to", "\x00")])
    @example("\x00", [])
    @example("refund", [("f.refund_amount.min", "1e999999999")])
    def check(template: str, params: Pairs) -> None:
        query = encoded([("template", template), *params])
        assert_not_5xx(admin.get(f"/tickets/?{query}"), query)

    check()


def test_template_keys_in_the_path_never_fail(agent: FlaskClient) -> None:
    @FUZZ
    @given(templates)
    @example("\x00")
    def check(key: str) -> None:
        url = f"/tickets/new/{path_part(key)}"
        assert_not_5xx(agent.get(url), url)
        assert_not_5xx(agent.post(url, data="", content_type=FORM), url)

    check()


# ---------------------------------------------------------------------------------------------
# New ticket and edit: a valid post with a few fields replaced


REFUND_FIELDS = [
    "/summary", "/order_number", "/refund_amount", "/currency", "/reason", "/details",
    "/bank_account_last4", "/contact", "/manager_approval_note", "requester_name",
    "requester_email", "requester_phone", "priority", "subject", "~e", "$", "/summary/~s",
    "/nope",
]
replacements = st.builds(
    lambda known, unknown: [*known.items(), *unknown],
    st.dictionaries(st.sampled_from(REFUND_FIELDS), text, min_size=1, max_size=4),
    st.lists(st.tuples(text, text), max_size=1),
)


def body(base: Any, replaced: Pairs) -> str:
    fields = {name: list(base.getlist(name)) for name in base}
    for name, value in replaced:
        fields[name] = [value]
    return encoded([(name, value) for name, values in fields.items() for value in values])


def test_new_ticket_posts_never_fail_and_refused_ones_write_nothing(
    app: Flask, agent: FlaskClient
) -> None:
    base = posted(app, "refund", refund_data(order_number()))

    @FUZZ
    @given(replacements)
    @example([("requester_name", "a\x00b")])
    @example([("requester_phone", "\x00"), ("/details", "a\x00b")])
    def check(replaced: Pairs) -> None:
        before = counts(app)
        sent = body(base, replaced)
        response = agent.post("/tickets/new/refund", data=sent, content_type=FORM)
        assert_not_5xx(response, replaced)
        if response.status_code >= 400:
            assert counts(app) == before, replaced

    check()


def test_edit_posts_never_fail_and_refused_ones_write_nothing(
    app: Flask, agent: FlaskClient
) -> None:
    order = order_number()
    ticket_id, _ = make_ticket(app, "refund", "billing", refund_data(order))
    extra = st.lists(
        st.tuples(
            st.sampled_from(["lock_version", "conflict", "choice:/priority",
                             "choice:/data/currency"]),
            text | st.sampled_from(["0", "1", "2", "/priority", "/data/currency", "mine",
                                    "theirs", "99999999999999999999"]),
        ),
        max_size=3,
    )

    @FUZZ
    @given(replacements, extra)
    @example([("subject", "a\x00b"), ("requester_name", "\x00")], [])
    @example([("/details", "a\x00b")], [])
    def check(replaced: Pairs, more: Pairs) -> None:
        base = posted(app, "refund", refund_data(order), subject="S",
                      lock_version=str(lock_version(app, ticket_id)))
        before = counts(app, ticket_id)
        sent = body(base, replaced) + "&" + encoded(more)
        response = agent.post(f"/tickets/{ticket_id}/edit", data=sent, content_type=FORM)
        assert_not_5xx(response, (replaced, more))
        if response.status_code >= 400:
            assert counts(app, ticket_id) == before, (replaced, more, response.status_code)

    check()


# ---------------------------------------------------------------------------------------------
# Assign and comment


def test_assign_and_comment_posts_never_fail(app: Flask, agent: FlaskClient) -> None:
    ticket_id, _ = make_ticket(app, "refund", "billing", refund_data(order_number()))
    assignees = text | st.sampled_from(["me", "", "0", "1", "-1", "99999999999999999999"])
    versions = text | st.sampled_from(["1", "0", "-1", "99999999999999999999"])

    @FUZZ
    @given(st.sampled_from(["assign", "comment"]), assignees, versions, text, text)
    def check(kind: str, assignee: str, version: str, comment: str, internal: str) -> None:
        before = counts(app, ticket_id)
        if kind == "assign":
            sent = encoded([("assignee", assignee), ("lock_version", version)])
        else:
            sent = encoded([("body", comment), ("internal", internal)])
        response = agent.post(f"/tickets/{ticket_id}/{kind}", data=sent, content_type=FORM)
        assert_not_5xx(response, sent[:300])
        if response.status_code >= 400:
            assert counts(app, ticket_id) == before, sent[:300]

    check()
