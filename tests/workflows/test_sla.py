"""SLA clocks: due times on a business calendar, pauses in waiting states, priority changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from workflows import BusinessCalendar
from workflows import sla as clocks
from workflows.model import Targets

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = BusinessCalendar.from_definition(
    {
        "timezone": "Asia/Shanghai",
        "hours": {
            d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
        },
        "holidays": ["2026-10-01", "2026-10-02"],
        "workdays": ["2026-10-10"],
    }
)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def test_due_times_run_on_business_hours() -> None:
    clock = clocks.Clock(local(2026, 9, 30, 17, 0))  # Wednesday 17:00, before the holidays
    due = clocks.due(CAL, clock, Targets(timedelta(hours=1), timedelta(hours=4)))
    assert due.first_response == local(2026, 9, 30, 18, 0)
    # 1 h on Wednesday, then Thursday/Friday are holidays, the weekend is closed: Monday.
    assert due.resolution == local(2026, 10, 5, 12, 0)


def test_a_make_up_workday_counts() -> None:
    clock = clocks.Clock(local(2026, 10, 9, 17, 30))  # Friday 17:30; Saturday 10 Oct works
    assert clocks.due_at(CAL, clock, timedelta(hours=1)) == local(2026, 10, 10, 9, 30)


def test_no_target_no_due_time() -> None:
    clock = clocks.Clock(local(2026, 9, 30, 9, 0))
    assert clocks.due(CAL, clock, Targets()) == clocks.Due(None, None)


def test_a_pause_freezes_and_a_resume_adds_the_business_time_spent_waiting() -> None:
    start = local(2026, 9, 28, 9, 0)  # Monday
    clock = clocks.pause(clocks.Clock(start), local(2026, 9, 28, 10, 0))
    assert clocks.due_at(CAL, clock, timedelta(hours=4)) is None
    assert clocks.pause(clock, local(2026, 9, 28, 11, 0)) == clock
    resumed = clocks.resume(CAL, clock, local(2026, 9, 28, 15, 0))  # 10-12 + 13-15: 4 h waited
    assert resumed.paused == timedelta(hours=4) and resumed.paused_since is None
    assert clocks.due_at(CAL, resumed, timedelta(hours=4)) == local(2026, 9, 28, 18, 0)
    assert clocks.spent(CAL, resumed, local(2026, 9, 28, 16, 0)) == timedelta(hours=2)
    assert clocks.resume(CAL, resumed, local(2026, 9, 29, 9, 0)) == resumed


def test_the_warning_comes_at_its_share_of_the_target() -> None:
    clock = clocks.Clock(local(2026, 9, 28, 9, 0))
    # 3 h of 4: the morning ends at 12:00, the end of the last business minute.
    assert clocks.warning_at(CAL, clock, timedelta(hours=4), 0.75) == local(2026, 9, 28, 12, 0)
    assert clocks.warning_at(CAL, clock, None, 0.75) is None


@settings(max_examples=80, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(2026, 9, 1), max_value=datetime(2026, 11, 1), timezones=st.just(SHANGHAI)
    ),
    st.lists(st.integers(1, 600), min_size=2, max_size=6),
    st.integers(1, 3000),
)
def test_business_time_spent_never_counts_pauses(
    start: datetime, gaps: list[int], target: int
) -> None:
    """Alternate running and paused stretches: what ran is the total minus what was paused."""
    clock, at, paused_total = clocks.Clock(start), start, timedelta(0)
    for index, minutes in enumerate(gaps):
        later = at + timedelta(minutes=minutes)
        if index % 2 == 0:
            clock = clocks.pause(clock, later)
        else:
            paused_total += CAL.elapsed(at, later)
            clock = clocks.resume(CAL, clock, later)
        at = later
    if clock.paused_since is not None:
        clock = clocks.resume(CAL, clock, at)
    assert clock.paused == paused_total
    assert clocks.spent(CAL, clock, at) == CAL.elapsed(start, at) - paused_total
    due = clocks.due_at(CAL, clock, timedelta(minutes=target))
    assert due is not None
    assert clocks.spent(CAL, clock, due) == timedelta(minutes=target)
