"""Free-text search over tickets: the text a ticket is found by, and how a term matches it.

`ticket.search_text` holds what the list's search box (`?q=`) looks at: the ticket's number,
subject, requester (name, e-mail, phone, and the phone's digits alone) and the values of its
template version's text fields (`search_fields`), each value case-folded, its white space
collapsed to single spaces, and each put after a newline (SEPARATOR):

    "\\nts-000123\\nprinter jams\\nli wei\\nli@example.test\\n+86 10 1234\\n86101234\\ncn5mf55..."

`refresh_search_text` is the one place that writes the column (`app.tickets.service` calls it
when a ticket is created and when one of SEARCHED changes); `backfill` fills it for tickets
stored before it existed (migration 0010, bench/list_bench.py).

How a term matches (`app.tickets.conditions` turns it into SQL; bench/README.md has figures):

- contains (the default): the folded term anywhere in the text, `LIKE '%term%'`;
- prefix ("starts with"): a value starts with it, `LIKE '%\\nterm%'`;
- a term shorter than MIN_CONTAINS characters always matches as a prefix: a trigram index
  cannot find one- or two-character substrings, which would match nearly every ticket anyway.

On PostgreSQL a GIN trigram index (`ix_ticket_search`, pg_trgm) serves both patterns: the
newline is a word boundary to pg_trgm, so a prefix pattern looks up the term's word-start
trigrams, found for one- and two-character terms too. SQLite reads every row (LIKE).
Both sides are folded in Python, so the match is the same on both backends and for non-ASCII
letters too (`É` finds `é`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from app.definitions.filterable import field_kind, properties
from app.tickets.errors import BadFilter

if TYPE_CHECKING:
    from app.tickets.models import Ticket
    from app.tickets.templates import TemplateForm

SEPARATOR: Final = "\n"
MIN_CONTAINS: Final = 3
MAX_VALUE_CHARS: Final = 10_000  # longer values are searched in their first 10,000 characters
MAX_TERM_CHARS: Final = 200

# The ticket attributes the search text is made of: a change to one of them refreshes it.
SEARCHED: Final = frozenset(
    {"number", "subject", "requester_name", "requester_email", "requester_phone", "data"}
)


class SearchMode(enum.StrEnum):
    """How a search term matches the search text."""

    CONTAINS = "contains"
    PREFIX = "prefix"


def fold(text: str) -> str:
    """`text` as the search compares it: case-folded, white space collapsed to single spaces."""
    return " ".join(text.split()).casefold()


def pattern(term: str, mode: SearchMode | str) -> tuple[str, bool] | None:
    """(folded term, as a prefix) that `term` searches for; None when it is only white space.

    A term shorter than MIN_CONTAINS characters is a prefix whatever the mode; BadFilter for
    an unknown mode.
    """
    if mode not in set(SearchMode):
        raise BadFilter(f"Unknown search mode {mode!r} (one of: {', '.join(SearchMode)}).")
    folded = fold(term)
    if not folded:
        return None
    return folded, SearchMode(mode) is SearchMode.PREFIX or len(folded) < MIN_CONTAINS


def search_fields(tf: TemplateForm) -> tuple[str, ...]:
    """The template version's text fields (the list's "text" filter kind: no file fields)."""
    ui = tf.ui_schema if isinstance(tf.ui_schema, dict) else {}
    fields = properties(tf.schema).items()
    return tuple(name for name, sub in fields if field_kind(sub, ui.get(name)) == "text")


def _digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())


def document(
    number: str | None,
    subject: str | None,
    requester: Iterable[str | None],
    data: Mapping[str, Any] | None,
    fields: Iterable[str],
) -> str:
    """The search text of one ticket (see the module docstring); "" when it has no values."""
    name, email, phone = (list(requester) + [None, None, None])[:3]
    values: list[Any] = [number, subject, name, email, phone]
    if phone and _digits(phone) != phone:
        values.append(_digits(phone))
    values += [(data or {}).get(f) for f in fields]
    folded = (fold(v[:MAX_VALUE_CHARS]) for v in values if isinstance(v, str))
    return "".join(SEPARATOR + v for v in folded if v)


def fields_of(template: str, version: int) -> tuple[str, ...]:
    """The searched custom fields of a template version; none when the version is unavailable."""
    from app.tickets.templates import TemplateUnavailable, template_version

    try:
        return search_fields(template_version(template, version))
    except TemplateUnavailable:
        return ()


def refresh_search_text(ticket: Ticket) -> None:
    """Write `ticket.search_text` from its current values: the one writer of the column."""
    ticket.search_text = document(
        ticket.number,
        ticket.subject,
        (ticket.requester_name, ticket.requester_email, ticket.requester_phone),
        ticket.data,
        fields_of(ticket.template, ticket.template_version),
    )


# ---------------------------------------------------------------------------------------------
# Backfill

BACKFILL_BATCH = 5000


def _stored(conn: Connection, after: int, limit: int) -> list[Any]:
    from app.tickets.models import Ticket

    t = Ticket.__table__.c
    return list(
        conn.execute(
            select(
                t.id,
                t.template,
                t.template_version,
                t.number,
                t.subject,
                t.requester_name,
                t.requester_email,
                t.requester_phone,
                t.data,
            )
            .where(t.id > after)
            .order_by(t.id)
            .limit(limit)
        )
    )


def _texts(
    rows: Iterable[Any], fields: Mapping[tuple[str, int], tuple[str, ...]]
) -> Iterator[dict[str, Any]]:
    for row in rows:
        searched = fields[(row.template, row.template_version)]
        requester = (row.requester_name, row.requester_email, row.requester_phone)
        text = document(row.number, row.subject, requester, row.data, searched)
        yield {"row_id": row.id, "text": text}


def backfill(
    conn: Connection,
    fields: Mapping[tuple[str, int], tuple[str, ...]] | None = None,
    batch: int = BACKFILL_BATCH,
) -> int:
    """Write the search text of every stored ticket through `conn`, in id order; how many.

    `fields`: the searched fields per (template, version) (default: `fields_of` each, which
    needs an app context). Runs in `conn`'s transaction, one UPDATE per batch of rows.
    """
    from app.tickets.models import Ticket

    table = Ticket.__table__
    found: dict[tuple[str, int], tuple[str, ...]] = dict(fields or {})
    statement = (
        update(table).where(table.c.id == bindparam("row_id")).values(search_text=bindparam("text"))
    )
    done, after = 0, 0
    while rows := _stored(conn, after, batch):
        for row in rows:
            key = (row.template, row.template_version)
            if key not in found:
                found[key] = fields_of(*key)
        conn.execute(statement, list(_texts(rows, found)))
        done += len(rows)
        after = rows[-1].id
    return done


__all__ = [
    "MIN_CONTAINS",
    "SEARCHED",
    "SEPARATOR",
    "SearchMode",
    "backfill",
    "document",
    "fields_of",
    "fold",
    "pattern",
    "refresh_search_text",
    "search_fields",
]
