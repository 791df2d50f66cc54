"""The ticket list query: sorts with keyset pagination, page statements, capped counts.

The filters and sorts themselves are `app.tickets.filters`, their WHERE clauses
`app.tickets.conditions` (both imported here too, so callers need only this module). Statements
are plain SQLAlchemy Core, one for both backends: the custom-field expressions
(`app.tickets.fields`) compile to `data ->> 'f'` on PostgreSQL, matching the per-field indexes
exactly, and to JSON1 on SQLite. `page_statement` is what `list_tickets` runs and what
`bench/list_bench.py` measures (figures in bench/README.md).

- Sorts (`Sort`): newest or oldest created, recently or least recently updated, resolution due
  soonest (tickets without a due time last); keyset pages on (sort column, id), each cursor
  valid for its own sort only. On a template's list also a custom field (`FieldSort`,
  `?sort=f.<field>` / `-f.<field>`): see `field_sort_statement`. By priority
  (`priority` / `-priority`, ties newest first): see `priority_statement`.
- Equality, number, prefix, contains and boolean filters: one `ORDER BY <sort> LIMIT n`
  statement; the planner picks the per-field index or the walk down the sort's index.
- Date ranges, newest first: a probe of the newest candidates, else (PostgreSQL, whole days, a
  template and its field index) a walk over the distinct days of the window, else every match
  sorted; one statement, see `_date_range_statement`. Dates follow creation time and would
  fool the created_at walk.
- Free-text search (`Search`, `?q=`): `search_text LIKE` a pattern, served by the trigram
  index for rare terms and by the sort's walk for common ones (`conditions.search_condition`).
- Counts: capped at `cap + 1` rows, and answered from the planner's estimate when that is far
  above the cap; a search expected to match more than the cap counts among a bounded number of
  candidates and may answer a lower bound ("at least n", `count_tickets`).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    column,
    exists,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    table,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.selectable import CTE, Subquery

from app.limits import MAX_ID
from app.tickets.conditions import (
    FIELD_FILTERS,
    conditions,
    field_condition,
    like_pattern,
    prefix_successor,
    search_condition,
)
from app.tickets.errors import BadCursor, BadFilter
from app.tickets.fields import FieldKind, FieldText, check_field_name, field_index_names
from app.tickets.fieldsort import (
    decode_field_cursor,
    encode_field_cursor,
)
from app.tickets.filters import (
    UNASSIGNED,
    DateRange,
    EnumIs,
    FieldFilter,
    FieldSort,
    FlagIs,
    NumberRange,
    Search,
    Sort,
    TextContains,
    TextPrefix,
    TicketFilters,
    TimeRange,
    as_decimal,
    as_order,
    as_sort,
    read_sort,
)
from app.tickets.keyedsort import (
    PRIORITY_SORTS,
    decode_priority_cursor,
    encode_priority_cursor,
    field_sort_statement,
    priority_statement,
    rows,
)
from app.tickets.models import Ticket
from app.tickets.search import SearchMode

__all__ = [  # the filters are re-exported: views and APIs import everything from here
    "COUNT_CAP",
    "SEARCH_PROBE_ROWS",
    "DEFAULT_LIMIT",
    "FIELD_FILTERS",
    "MAX_LIMIT",
    "UNASSIGNED",
    "DateRange",
    "EnumIs",
    "FieldFilter",
    "FieldSort",
    "FlagIs",
    "NumberRange",
    "Search",
    "SearchMode",
    "Sort",
    "TextContains",
    "TextPrefix",
    "TicketFilters",
    "TicketPage",
    "TimeRange",
    "as_decimal",
    "as_order",
    "as_sort",
    "check_cursor",
    "check_field_name",
    "conditions",
    "count_statement",
    "count_tickets",
    "day_index_known",
    "day_index_ready",
    "day_walk_field",
    "decode_cursor",
    "decode_field_cursor",
    "decode_priority_cursor",
    "encode_cursor",
    "encode_field_cursor",
    "encode_priority_cursor",
    "estimate_tickets",
    "explain",
    "field_condition",
    "forget_day_indexes",
    "like_pattern",
    "list_statement",
    "list_tickets",
    "page_statement",
    "prefix_successor",
    "read_sort",
    "search_probe_statement",
]

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
COUNT_CAP = 1000  # counts stop here: "1,000+" is shown instead of counting further


# ---------------------------------------------------------------------------------------------
# Sorts and cursors

# Each column sort's key: (Ticket column, descending); ties break on id the same way. (The
# priority sorts have cursors and statements of their own: `priority_statement`.)
SORT_KEYS: dict[Sort, tuple[str, bool]] = {
    Sort.NEWEST: ("created_at", True),
    Sort.OLDEST: ("created_at", False),
    Sort.RECENTLY_UPDATED: ("updated_at", True),
    Sort.LEAST_RECENTLY_UPDATED: ("updated_at", False),
    Sort.DUE: ("resolution_due_at", False),
}
# Sorts on a column that may be NULL: the NULLs come last, and a cursor may stand on one.
NULLS_LAST = frozenset({Sort.DUE})


def _sort_column(sort: Sort) -> Any:
    return getattr(Ticket, SORT_KEYS[sort][0])


def _order(sort: Sort) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    column_, descending = _sort_column(sort), SORT_KEYS[sort][1]
    if descending:
        return column_.desc(), Ticket.id.desc()
    if sort in NULLS_LAST:
        return column_.asc().nulls_last(), Ticket.id.asc()
    return column_.asc(), Ticket.id.asc()


def encode_cursor(stamp: datetime | None, ticket_id: int, sort: Sort | str = Sort.NEWEST) -> str:
    """An opaque cursor for the position after (stamp, id) in `sort`'s order.

    `stamp` is the sort's column of the last row shown (created_at, updated_at, or the due
    time, which may be None).
    """
    value = as_sort(sort).value
    when = stamp.isoformat() if stamp is not None else None
    raw = json.dumps([when, ticket_id, value], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sort | str = Sort.NEWEST) -> tuple[datetime | None, int]:
    """The (stamp, id) a cursor of `sort` stands for; BadCursor when it is not one of ours.

    A cursor made for another sort is refused too: its position means nothing in this order
    and would skip or repeat rows. Cursors without a sort (made before sorts existed) are
    NEWEST ones.
    """
    wanted = as_sort(sort)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = json.loads(raw)
        if isinstance(decoded, list) and len(decoded) == 4:  # a custom-field sort's
            raise BadCursor("This page cursor belongs to another sort order.")
        if not isinstance(decoded, list) or len(decoded) not in (2, 3):
            raise ValueError("shape")
        stamp, ticket_id, *rest = decoded
        made_for = rest[0] if rest else Sort.NEWEST.value
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            raise ValueError("id")
        if not 0 <= ticket_id <= MAX_ID:  # a larger id would be a database error
            raise ValueError("id range")
        if stamp is None and wanted not in NULLS_LAST:
            raise ValueError("stamp")
        position = (datetime.fromisoformat(stamp) if stamp is not None else None), ticket_id
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise BadCursor("Not a valid page cursor.") from exc
    if made_for != wanted.value:
        raise BadCursor("This page cursor belongs to another sort order.")
    return position


def check_cursor(cursor: str, sort: Sort | FieldSort | str) -> None:
    """BadCursor unless `cursor` is a page cursor of `sort` (what a page would refuse)."""
    order = as_order(sort)
    if isinstance(order, FieldSort):
        decode_field_cursor(cursor, order)
    elif order in PRIORITY_SORTS:
        decode_priority_cursor(cursor, order)
    else:
        decode_cursor(cursor, order)


def _keyset(after: str | None, sort: Sort) -> list[ColumnElement[bool]]:
    """The WHERE clause of "after this cursor" in `sort`'s order (none for a first page)."""
    if after is None:
        return []
    stamp, ticket_id = decode_cursor(after, sort)
    column_ = _sort_column(sort)
    after_id = bindparam("after_id", ticket_id, type_=Ticket.id.type)
    if stamp is None:  # only in a NULLS_LAST sort: the rest of the NULLs, by id
        return [and_(column_.is_(None), Ticket.id > after_id)]
    row = tuple_(column_, Ticket.id)
    position = tuple_(bindparam("after_stamp", stamp, type_=column_.type), after_id)
    if sort in NULLS_LAST:
        return [or_(row > position, column_.is_(None))]
    return [row < position if SORT_KEYS[sort][1] else row > position]


# ---------------------------------------------------------------------------------------------
# Statements


# How many of the newest candidate rows a date-range page looks at before it collects every
# match (see `_date_range_statement`).
PROBE_ROWS = 5000


def _is_date(f: FieldFilter) -> bool:
    return isinstance(f, DateRange)


def list_statement(
    filters: TicketFilters,
    after: str | None = None,
    limit: int = DEFAULT_LIMIT,
    day_walk: bool = False,
) -> Select[Any]:
    """The SELECT of one list page: `limit + 1` rows so the caller knows if there is a next.

    `day_walk=True` lets a date-range page walk the days of its window (`_day_walk`, PostgreSQL
    only): pass it only when `day_walk_field` names a field and `day_index_ready` says its index
    exists, as `page_statement` does. The rows are the same either way. Sorted by a custom
    field, each row comes with its sort key (`field_sort_statement`).
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise BadFilter(f"limit must be between 1 and {MAX_LIMIT}.")
    order = as_order(filters.sort)
    if isinstance(order, FieldSort):
        return field_sort_statement(filters, order, after, limit)
    sort = order
    if sort in PRIORITY_SORTS:
        return priority_statement(filters, sort, after, limit)
    keyset = _keyset(after, sort)
    if sort is Sort.NEWEST and any(_is_date(f) for f in filters.fields):
        return _date_range_statement(filters, keyset, limit, day_walk)
    return (
        select(Ticket)
        .where(*conditions(filters), *keyset)
        .order_by(*_order(sort))
        .limit(rows(limit + 1))
    )


def _date_range_statement(
    filters: TicketFilters, keyset: list[ColumnElement[bool]], limit: int, day_walk: bool
) -> Select[Ticket]:
    """A date-range page (newest first) in one statement: probe, else walk or collect.

    Dates tend to follow creation time, so walking the created_at order until `limit` matches
    turn up may read most of a template when the window is old (p95 240-288 ms, measured on
    list pages at 1,000,000 tickets). Collecting the matches through the field index and
    sorting them costs what they number (~1 µs each): right for narrow windows, slow for wide
    ones. So:

    1. `probe` checks the `PROBE_ROWS` newest candidates (those passing every other filter);
       if `limit + 1` of them match, they are the page (recent windows, wide or narrow).
    2. Otherwise, with `day_walk` (the caller found the field index), `_day_walk` takes the
       newest rows of each day of the window. The statement checks the index again as it runs
       (`_index_ready`): were it dropped meanwhile, the plain created_at walk (`_in_order`)
       answers instead, as for any filter without a field index, rather than a walk whose every
       step is a sequential scan.
    3. Otherwise `_collected` gathers every match and sorts them.

    Each branch has a one-time filter, so only one of them runs after the probe, and only when
    the probe did not suffice. All give the same rows. The planner adds up the estimates of
    every branch, run or not; past `jit_above_cost` (100,000 by default) a page pays for JIT
    compiling (30-600 ms). Hence the walk comes with the cheap `_in_order` rather than with
    `_collected` (whose estimate grows with the window), and only where the index is known to
    exist (without it, the walk's estimate is millions).
    """
    others = conditions(filters, fields=lambda f: not _is_date(f))
    dates = [f for f in filters.fields if _is_date(f)]
    probe = _probe(others, dates, keyset, limit)
    found = select(func.count()).select_from(probe).scalar_subquery()
    needed = found <= limit
    parts = [select(probe.c.id).where(found > limit)]
    walked = day_walk_field(filters) if day_walk else None
    if walked is None:
        parts.append(select(_collected(filters, keyset, limit, needed).c.id))
    else:
        ready = _index_ready(walked.field)
        walk = _day_walk(filters, walked, keyset, limit, and_(needed, ready))
        plain = _in_order(filters, keyset, limit, and_(needed, not_(ready)))
        parts += [select(walk.c.id), select(plain.c.id)]
    page = union_all(*parts)
    return select(Ticket).where(Ticket.id.in_(page)).order_by(*_order(Sort.NEWEST))


def _probe(
    others: list[ColumnElement[bool]],
    dates: list[FieldFilter],
    keyset: list[ColumnElement[bool]],
    limit: int,
) -> CTE:
    """The newest `limit + 1` date matches among the PROBE_ROWS newest candidates."""
    recent = (
        select(Ticket.id, Ticket.created_at, Ticket.data)
        .where(*others, *keyset)
        .order_by(*_order(Sort.NEWEST))
        .limit(rows(PROBE_ROWS))
        .subquery("recent")
    )
    return (
        select(recent.c.id, recent.c.created_at)
        .where(*(field_condition(f, recent.c.data) for f in dates))
        .order_by(recent.c.created_at.desc(), recent.c.id.desc())
        .limit(rows(limit + 1))
        .cte("probe")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )


def _collected(
    filters: TicketFilters,
    keyset: list[ColumnElement[bool]],
    limit: int,
    gate: ColumnElement[bool],
) -> Subquery:
    """Every match (read through the field index), sorted, cut to `limit + 1`; runs if `gate`."""
    matches = (
        select(Ticket.id, Ticket.created_at)
        .where(*conditions(filters), *keyset, gate)
        .cte("matches")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return (
        select(matches.c.id)
        .order_by(matches.c.created_at.desc(), matches.c.id.desc())
        .limit(rows(limit + 1))
        .subquery("collected")
    )


def _in_order(
    filters: TicketFilters,
    keyset: list[ColumnElement[bool]],
    limit: int,
    gate: ColumnElement[bool],
) -> Subquery:
    """The plain page: matches in created_at order, the first `limit + 1`; runs if `gate`."""
    return (
        select(Ticket.id)
        .where(*conditions(filters), *keyset, gate)
        .order_by(*_order(Sort.NEWEST))
        .limit(rows(limit + 1))
        .subquery("in_order")
    )


def day_walk_field(filters: TicketFilters) -> DateRange | None:
    """The date filter a day walk could serve: newest first, a template, whole days.

    The field index leads with `template`, so without one there is nothing to walk; values
    with a time of day are nearly all distinct, so walking them would visit every match.
    """
    if filters.template is None or as_order(filters.sort) is not Sort.NEWEST:
        return None
    return next((f for f in filters.fields if isinstance(f, DateRange) and f.whole_days), None)


_PG_INDEX = table("pg_index", column("indexrelid"), column("indisvalid"))


def _index_ready(field: str) -> ColumnElement[bool]:
    """EXISTS: the field's `ix_ticket_fv_` index is built and valid (PostgreSQL catalogs)."""
    name = field_index_names(field, FieldKind.DATE)[0]
    return exists().where(
        _PG_INDEX.c.indexrelid == func.to_regclass(name), _PG_INDEX.c.indisvalid.is_(True)
    )


def day_index_ready(conn: Connection | Session, field: str) -> bool:
    """Whether the field's index exists and is valid, so a day walk may run; False off PostgreSQL.

    One catalog lookup (~0.1 ms), asked afresh: an index dropped, rebuilt or still being built
    is seen at once. Pages ask `day_index_known`, which remembers the answer a while.
    """
    bind = conn if isinstance(conn, Connection) else conn.get_bind()  # a (scoped) Session
    if bind.dialect.name != "postgresql":
        return False
    return bool(conn.scalar(select(_index_ready(field))))


# How long a process trusts `day_index_ready`'s answer for a field (seconds). Either way no row
# differs: a walk statement checks the index again as it runs (`_index_ready`), and without the
# walk a page collects its matches. A field index appears when `reconcile` builds it (then
# `forget_day_indexes` runs in its process; the other processes see it within this time).
DAY_INDEX_TTL = 60.0
_day_indexes: dict[tuple[Any, str], tuple[float, bool]] = {}


def day_index_known(session: Session, field: str) -> bool:
    """`day_index_ready`, remembered per process, database and field for DAY_INDEX_TTL seconds.

    Saves a list page its catalog lookup (pages keep within 10 statements).
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    key = (bind.engine.url, field)
    now = time.monotonic()
    seen = _day_indexes.get(key)
    if seen is not None and now - seen[0] < DAY_INDEX_TTL:
        return seen[1]
    ready = day_index_ready(session, field)
    _day_indexes[key] = (now, ready)
    return ready


def forget_day_indexes() -> None:
    """Drop what `day_index_known` remembers (after field indexes were built or dropped)."""
    _day_indexes.clear()


def page_statement(
    filters: TicketFilters, after: str | None, limit: int, session: Session
) -> Select[Any]:
    """What `list_tickets` runs: `list_statement`, with the day walk where it may run."""
    walked = day_walk_field(filters)
    day_walk = walked is not None and day_index_known(session, walked.field)
    return list_statement(filters, after, limit, day_walk=day_walk)


def _day_walk(
    filters: TicketFilters,
    f: DateRange,
    keyset: list[ColumnElement[bool]],
    limit: int,
    gate: ColumnElement[bool],
) -> Subquery:
    """The page from the days of the window, each read newest first; runs if `gate`.

    A loose index scan on `(template, day, created_at DESC, id DESC)`:

    - `days` steps through the window's distinct days (`min(day) WHERE day > previous`, one
      index descent each: ~330 for a 330-day window, whatever the number of matches);
    - `tops` holds each day's newest match (every other filter and the cursor applied);
    - `bound` is the created_at of the (limit + 1)-th newest of those tops. At least limit + 1
      matches are that new, so every row of the page is too (no bound with fewer tops);
    - for each day whose top reaches the bound, LATERAL reads its newest matches down to the
      bound, at most `limit + 1`, in index order; the page is the newest `limit + 1` of them.

    Since dates follow creation time, only the last days of an old window come near the bound:
    a few thousand rows are read instead of every match (bench/README.md).
    """
    day = FieldText(f.field)
    template = Ticket.template == filters.template
    upper = [day <= f.end] if f.end else []
    lower = [day >= f.start] if f.start else []
    first = select(func.min(day)).where(template, day.is_not(None), *lower, *upper)
    days = select(first.scalar_subquery().label("day")).cte("days", recursive=True)
    following = select(func.min(day)).where(template, day > days.c.day, *upper)
    days = days.union_all(select(following.scalar_subquery()).where(days.c.day.is_not(None)))
    others = [*conditions(filters, fields=lambda g: g is not f), *keyset]
    top = (
        select(Ticket.created_at)
        .where(day == days.c.day, *others)
        .order_by(*_order(Sort.NEWEST))
        .limit(1)
        .lateral("day_top")
    )
    tops = (
        select(days.c.day, top.c.created_at)
        .select_from(days)
        .join(top, true())
        .where(gate)
        .cte("tops")
        .prefix_with("MATERIALIZED")
    )
    bound = func.coalesce(
        select(tops.c.created_at)
        .order_by(tops.c.created_at.desc())
        .offset(rows(limit))
        .limit(1)
        .scalar_subquery(),
        literal_column("'-infinity'::timestamptz"),
    )
    newest = (
        select(Ticket.id, Ticket.created_at)
        .where(day == tops.c.day, Ticket.created_at >= bound, *others)
        .order_by(*_order(Sort.NEWEST))
        .limit(rows(limit + 1))
        .lateral("day_newest")
    )
    return (
        select(newest.c.id)
        .select_from(tops)
        .join(newest, true())
        .where(tops.c.created_at >= bound)
        .order_by(newest.c.created_at.desc(), newest.c.id.desc())
        .limit(rows(limit + 1))
        .subquery("walked")
    )


def count_statement(filters: TicketFilters, cap: int) -> Select[int]:
    """SELECT count(*) over at most `cap + 1` matching rows (never an unbounded count)."""
    capped = (
        select(literal(1).label("one"))
        .select_from(Ticket)  # custom-field conditions alone name no table
        .where(*conditions(filters))
        .limit(rows(cap + 1))
    )
    return select(func.count()).select_from(capped.subquery("capped"))


# A search's count reads at most this many of the tickets the other filters match (about 7 ms
# at a million tickets, bench/README.md): how many rows a term needs before it has matched
# `cap + 1` times cannot be known in advance (a ~1% term read ~150,000 rows, 263 ms p50).
SEARCH_PROBE_ROWS = 5_000


def search_probe_statement(
    filters: TicketFilters, probe: int = SEARCH_PROBE_ROWS
) -> Select[int, int]:
    """(matches, rows read): the search's matches among at most `probe` of the tickets the
    other filters match, in whichever order the planner reads them cheapest."""
    hit = search_condition(filters.search) if filters.search is not None else None
    if hit is None:
        raise ValueError("search_probe_statement needs a search term")
    candidates = (
        select(hit.label("hit"))
        .where(*conditions(replace(filters, search=None)))
        .limit(rows(probe))
        .subquery("candidates")
    )
    return select(func.count().filter(candidates.c.hit), func.count()).select_from(candidates)


@dataclass(frozen=True)
class TicketPage:
    """One page of tickets in the filters' sort order, and the next page's cursor (None: last)."""

    tickets: Sequence[Ticket]
    next_cursor: str | None

    @property
    def seen(self) -> int:
        """How many matches this page proves there are at least (a next page: one more)."""
        return len(self.tickets) + (self.next_cursor is not None)


def _session(session: Session | None) -> Session:
    if session is not None:
        return session
    from app.extensions import db

    return db.session


def list_tickets(
    filters: TicketFilters,
    after: str | None = None,
    limit: int = DEFAULT_LIMIT,
    session: Session | None = None,
) -> TicketPage:
    """One page of tickets matching `filters`, after the cursor `after` (None: first page).

    The cursor must come from a page of the same sort (`filters.sort`), else BadCursor.
    """
    s = _session(session)
    order = as_order(filters.sort)
    statement = page_statement(filters, after, limit, s)
    if isinstance(order, FieldSort):
        return _field_sorted_page(s.execute(statement).all(), order, limit)
    rows = list(s.scalars(statement))
    if len(rows) <= limit:
        return TicketPage(rows, None)
    rows = rows[:limit]
    last = rows[-1]
    if order in PRIORITY_SORTS:
        cursor = encode_priority_cursor(last.priority, last.created_at, last.id, order)
        return TicketPage(rows, cursor)
    return TicketPage(rows, encode_cursor(getattr(last, SORT_KEYS[order][0]), last.id, order))


def _field_sorted_page(rows: Sequence[Any], sort: FieldSort, limit: int) -> TicketPage:
    """The page of (ticket, sort key) rows, the cursor holding the last row's key."""
    tickets = [row[0] for row in rows[:limit]]
    if len(rows) <= limit:
        return TicketPage(tickets, None)
    last, key = rows[limit - 1]
    return TicketPage(tickets, encode_field_cursor(sort, key, last.created_at, last.id))


# count_tickets answers "more than cap" from the planner's estimate when it exceeds the cap this
# many times over (with the per-field statistics, estimates were measured at 1.0-1.6x the count).
ESTIMATE_MARGIN = 10


def count_tickets(
    filters: TicketFilters,
    cap: int = COUNT_CAP,
    session: Session | None = None,
    at_least: int = 0,
) -> tuple[int, bool]:
    """(n, more): `more` False: exactly n tickets match; True: at least n match, and more than
    `cap` when n is `cap`.

    Never an unbounded count: a LIMIT-capped subquery, skipped on PostgreSQL when the planner
    expects far more than `cap` rows (a LIMIT-ed scan can still read half the table when the
    matches sit together in an old part of it). A search the planner expects to match more
    than `cap` tickets counts its matches among `SEARCH_PROBE_ROWS` candidates only: n is then
    a lower bound, never below `at_least` (what the caller has seen already, e.g. a full page).
    """
    if cap < 1:
        raise BadFilter("cap must be at least 1.")
    s = _session(session)
    estimate = estimate_tickets(filters, s)
    if estimate is not None and estimate > cap * ESTIMATE_MARGIN:
        return cap, True
    if estimate is not None and estimate > cap and search_probed(filters):
        found, read = s.execute(search_probe_statement(filters, SEARCH_PROBE_ROWS)).one()
        if found > cap:
            return cap, True
        if read < SEARCH_PROBE_ROWS:  # every candidate was read: the count is exact
            return int(found), False
        return min(max(int(found), at_least), cap), True
    n = int(s.scalar(count_statement(filters, cap)) or 0)
    return (cap, True) if n > cap else (n, False)


def search_probed(filters: TicketFilters) -> bool:
    """Whether the filters have a search term (a blank one searches nothing)."""
    return filters.search is not None and search_condition(filters.search) is not None


def estimate_tickets(filters: TicketFilters, session: Session | None = None) -> int | None:
    """PostgreSQL's row estimate for the filters (about 1 ms); None on other databases."""
    conn = _session(session).connection()
    if conn.dialect.name != "postgresql":
        return None
    statement = select(literal(1)).select_from(Ticket).where(*conditions(filters))
    plan: Any = conn.exec_driver_sql(
        *_driver_sql(conn, statement, "EXPLAIN (FORMAT JSON) ")
    ).scalar()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def _driver_sql(
    conn: Connection, statement: ClauseElement, prefix: str
) -> tuple[str, dict[str, Any]]:
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    return prefix + str(compiled), dict(compiled.params)


def explain(conn: Connection, statement: ClauseElement, analyze: bool = False) -> str:
    """PostgreSQL's plan for a statement of this module (for benchmarks, tests and debugging)."""
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN "
    rows = conn.exec_driver_sql(*_driver_sql(conn, statement, prefix)).scalars()
    return "\n".join(str(row) for row in rows)
