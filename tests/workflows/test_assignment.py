"""Assignment strategies: fair rotation, load and capacity, skills, availability."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from workflows import Candidate, Strategy
from workflows.assignment import choose


def team(*loads: int, capacity: int = 5) -> list[Candidate]:
    return [Candidate(user_id=i + 1, load=load, capacity=capacity) for i, load in enumerate(loads)]


def test_round_robin_rotates_after_the_pointer_and_wraps() -> None:
    members = team(0, 0, 0)
    picks, pointer = [], None
    for _ in range(7):
        choice = choose(Strategy.ROUND_ROBIN, members, pointer, ())
        picks.append(choice.user_id)
        pointer = choice.pointer
    assert picks == [1, 2, 3, 1, 2, 3, 1]


def test_round_robin_continues_after_a_pointer_that_left_the_team() -> None:
    members = [Candidate(2, 0, 5), Candidate(7, 0, 5)]
    assert choose(Strategy.ROUND_ROBIN, members, 5, ()).user_id == 7
    assert choose(Strategy.ROUND_ROBIN, members, 9, ()).user_id == 2


def test_every_strategy_skips_members_away_or_at_capacity() -> None:
    members = [
        Candidate(1, 0, 5, available=False),
        Candidate(2, 5, 5),
        Candidate(3, 0, 0),
        Candidate(4, 4, 5, frozenset({"vip"})),
    ]
    for strategy in (Strategy.ROUND_ROBIN, Strategy.LEAST_LOADED, Strategy.SKILLS):
        assert choose(strategy, members, None, ()).user_id == 4


def test_nobody_free_leaves_the_ticket_in_the_queue_and_the_pointer_alone() -> None:
    members = team(5, 5)
    for strategy in Strategy:
        choice = choose(strategy, members, 2, ())
        assert (choice.user_id, choice.pointer) == (None, 2)


def test_least_loaded_takes_the_lowest_load_and_rotates_ties() -> None:
    members = team(3, 1, 1, 2)
    assert choose(Strategy.LEAST_LOADED, members, None, ()).user_id == 2
    assert choose(Strategy.LEAST_LOADED, members, 2, ()).user_id == 3
    assert choose(Strategy.LEAST_LOADED, members, 3, ()).user_id == 2


def test_skills_need_every_skill_then_least_load() -> None:
    members = [
        Candidate(1, 0, 5, frozenset({"printer"})),
        Candidate(2, 3, 5, frozenset({"printer", "english"})),
        Candidate(3, 1, 5, frozenset({"printer", "english", "vip"})),
    ]
    assert choose(Strategy.SKILLS, members, None, ["printer", "english"]).user_id == 3
    assert choose(Strategy.SKILLS, members, None, ["printer"]).user_id == 1
    assert choose(Strategy.SKILLS, members, None, ["french"]).user_id is None
    # Required skills narrow the other strategies too.
    assert choose(Strategy.ROUND_ROBIN, members, 3, ["english"]).user_id == 2


def test_manual_never_assigns() -> None:
    assert choose(Strategy.MANUAL, team(0), None, ()).user_id is None


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 40))
def test_round_robin_is_fair_over_any_run(size: int, tickets: int) -> None:
    members, pointer, counts = team(*([0] * size), capacity=10_000), None, Counter[int]()
    for _ in range(tickets):
        choice = choose(Strategy.ROUND_ROBIN, members, pointer, ())
        assert choice.user_id is not None
        counts[choice.user_id] += 1
        pointer = choice.pointer
    assert max(counts.values()) - min(counts.get(m.user_id, 0) for m in members) <= 1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 6), st.booleans()), min_size=1, max_size=6
    ),
    st.integers(1, 30),
)
def test_least_loaded_never_passes_a_capacity(
    spec: list[tuple[int, int, bool]], tickets: int
) -> None:
    members = [Candidate(i + 1, load, cap, available=up) for i, (load, cap, up) in enumerate(spec)]
    pointer = None
    for _ in range(tickets):
        choice = choose(Strategy.LEAST_LOADED, members, pointer, ())
        if choice.user_id is None:
            assert all(not m.free for m in members)
            break
        pointer = choice.pointer
        members = [
            Candidate(
                m.user_id, m.load + (m.user_id == choice.user_id), m.capacity, available=m.available
            )
            for m in members
        ]
    assert all(m.load <= max(m.capacity, spec[m.user_id - 1][0]) for m in members)
