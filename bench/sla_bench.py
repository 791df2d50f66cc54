"""Benchmark of the business calendar (SLA due dates). Prints medians, p95s and ratios.

Run from the repository root: ``.venv/bin/python bench/sla_bench.py [--starts N]``.

The calendar is the 2026 China one: Asia/Shanghai, Monday to Friday 09:00-12:00 and
13:00-18:00, National Day holidays 2026-10-01..07 and the make-up working days 2026-09-27
(Sunday) and 2026-10-10 (Saturday). Starts are random aware datetimes (microseconds, seeded)
spread over 2026.

1. ``cal.add(start, target)`` for PT1H, PT8H, PT40H and P10D of business time: first pass on
   a fresh calendar (its per-date cache filling), then the timed pass (warm cache).
   Goal: median <= 20 us for PT1H ... PT40H. Also shown: reading the definition and adding
   on a new calendar every call (nothing cached; a tenth of the starts).
2. Beside it, for PT1H and PT8H only and on fewer starts (whole minutes), a naive baseline:
   a loop stepping one minute at a time and asking whether that minute is open. The script
   checks both give the same answers.
3. ``cal.elapsed(start, due)`` for the same targets, and the naive minute count for PT1H and
   PT8H.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from workflows.calendar import BusinessCalendar  # noqa: E402
from workflows.durations import parse_duration  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = [["09:00", "12:00"], ["13:00", "18:00"]]
CHINA: dict[str, Any] = {
    "timezone": "Asia/Shanghai",
    "hours": {day: OFFICE for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": [f"2026-10-0{n}" for n in range(1, 8)],
    "workdays": ["2026-09-27", "2026-10-10"],
}
TARGETS = ("PT1H", "PT8H", "PT40H", "P10D")
BASELINE_TARGETS = ("PT1H", "PT8H")
GOAL_US = 20.0
MINUTE = timedelta(minutes=1)


# ---------------------------------------------------------------------------------------------
# the naive baseline: one minute at a time


class MinuteCalendar:
    """The same calendar read directly: is the minute starting at `at` a working minute?"""

    def __init__(self, definition: dict[str, Any]) -> None:
        self.zone = ZoneInfo(definition["timezone"])
        self.hours = {
            day: [(_minutes(a), _minutes(b)) for a, b in spans]
            for day, spans in definition["hours"].items()
        }
        self.holidays = {date.fromisoformat(d) for d in definition["holidays"]}
        self.workdays = {date.fromisoformat(d) for d in definition["workdays"]}

    def open_at(self, at: datetime) -> bool:
        wall = at.astimezone(self.zone)
        day = wall.date()
        if day in self.holidays:
            return False
        key = "mon" if day in self.workdays else wall.strftime("%a").lower()
        minute = wall.hour * 60 + wall.minute
        return any(a <= minute < b for a, b in self.hours.get(key, []))

    def add(self, start: datetime, delta: timedelta) -> datetime:
        left, at = delta // MINUTE, start
        while left:
            if self.open_at(at):
                left -= 1
            at += MINUTE
        return at.astimezone(self.zone)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        count, at = 0, start
        while at < end:
            count += self.open_at(at)
            at += MINUTE
        return count * MINUTE


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


# ---------------------------------------------------------------------------------------------
# measuring


def make_calendar() -> BusinessCalendar:
    return BusinessCalendar.from_definition(CHINA, "/sla/calendar")


def random_starts(count: int, seed: int, whole_minutes: bool = False) -> list[datetime]:
    """Aware starts spread over 2026 in Shanghai time."""
    rng = random.Random(seed)
    first = datetime(2026, 1, 1, tzinfo=SHANGHAI)
    year_us = 365 * 86_400_000_000
    starts = [first + timedelta(microseconds=rng.randrange(year_us)) for _ in range(count)]
    if whole_minutes:
        starts = [s.replace(second=0, microsecond=0) for s in starts]
    return starts


def timed(call: Callable[[datetime, Any], object], pairs: list[tuple[datetime, Any]]) -> list[int]:
    """Nanoseconds of each call, one sample per pair."""
    clock = time.perf_counter_ns
    samples = []
    for first, second in pairs:
        begin = clock()
        call(first, second)
        samples.append(clock() - begin)
    return samples


def stats_us(samples_ns: list[int]) -> tuple[float, float]:
    ordered = sorted(samples_ns)
    return statistics.median(ordered) / 1000, ordered[int(len(ordered) * 0.95)] / 1000


def fmt_us(us: float) -> str:
    return f"{us:.2f} us" if us < 1000 else f"{us / 1000:.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description="business calendar benchmark")
    parser.add_argument("--starts", type=int, default=10_000, help="random starts per target")
    parser.add_argument("--baseline-starts", type=int, default=300)
    args = parser.parse_args()

    starts = random_starts(args.starts, seed=2026)
    minute_starts = random_starts(args.baseline_starts, seed=7, whole_minutes=True)
    naive = MinuteCalendar(CHINA)
    rows: list[tuple[str, ...]] = []
    adds: dict[str, float] = {}
    for text in TARGETS:
        delta = parse_duration(text)
        cal = make_calendar()
        pairs = [(s, delta) for s in starts]
        cold = stats_us(timed(cal.add, pairs))
        warm = stats_us(timed(cal.add, pairs))
        adds[text] = warm[0]
        goal, verdict = "", ""
        if text != "P10D":
            goal, verdict = "<= 20 us", "ok" if warm[0] <= GOAL_US else "MISSED"
        base, ratio = "", ""
        if text in BASELINE_TARGETS:
            check_same_answers(cal, naive, minute_starts, delta, text)
            slow = stats_us(timed(naive.add, [(s, delta) for s in minute_starts]))
            base, ratio = fmt_us(slow[0]), f"{slow[0] / warm[0]:.0f}x"
        rows.append(
            (f"cal.add {text}", fmt_us(warm[0]), fmt_us(warm[1]), base, ratio, goal, verdict)
        )
        rows.append(
            ("  first pass, cache filling", fmt_us(cold[0]), fmt_us(cold[1]), "", "", "", "")
        )
        fresh = stats_us(timed(lambda s, d: make_calendar().add(s, d), pairs[: len(pairs) // 10]))
        rows.append(
            (
                "  new calendar each call (built + add)",
                fmt_us(fresh[0]),
                fmt_us(fresh[1]),
                "",
                "",
                "",
                "",
            )
        )
    for text in TARGETS:
        delta = parse_duration(text)
        cal = make_calendar()
        spans = [(s, cal.add(s, delta)) for s in starts]
        warm = stats_us(timed(cal.elapsed, spans))
        base, ratio = "", ""
        if text in BASELINE_TARGETS:
            minute_spans = [(s, cal.add(s, delta)) for s in minute_starts]
            slow = stats_us(timed(naive.elapsed, minute_spans))
            base, ratio = fmt_us(slow[0]), f"{slow[0] / warm[0]:.0f}x"
        rows.append(
            (
                f"cal.elapsed to the {text} due date",
                fmt_us(warm[0]),
                fmt_us(warm[1]),
                base,
                ratio,
                "",
                "",
            )
        )

    print(
        f"business calendar benchmark (Python {sys.version.split()[0]}; {args.starts} starts, "
        f"baseline on {args.baseline_starts} whole-minute starts)"
    )
    header = ("measure", "median", "p95", "minute-step median", "speed-up", "goal", "")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    print()
    worst = max(adds[t] for t in TARGETS if t != "P10D")
    verdict = "ok" if worst <= GOAL_US else "MISSED"
    print(f"goal: cal.add <= 20 us median for PT1H..PT40H: slowest {fmt_us(worst)}, {verdict}")
    return 0


def check_same_answers(
    cal: BusinessCalendar,
    naive: MinuteCalendar,
    starts: list[datetime],
    delta: timedelta,
    text: str,
) -> None:
    """Both ways must give the same due dates, or the comparison means nothing."""
    differ = [s for s in starts if cal.add(s, delta) != naive.add(s, delta)]
    if differ:
        raise SystemExit(f"{text}: {len(differ)} answers differ, e.g. from {differ[0]}")


if __name__ == "__main__":
    raise SystemExit(main())
