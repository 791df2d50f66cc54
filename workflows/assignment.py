"""Assignment strategies: who among a department's members gets a routed ticket.

Pure: the caller gives every member as a `Candidate` (open tickets, capacity, skills,
availability) and the department's rotation pointer (the user id assigned last), and stores
the new pointer it gets back, in the same transaction as the assignment. Every strategy skips
members who are away or at capacity; when nobody fits the answer is nobody, and the ticket
waits unassigned in the department's group queue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from workflows.model import Strategy


@dataclass(frozen=True)
class Candidate:
    """One member as assignment sees them."""

    user_id: int
    load: int
    """Open tickets assigned to them now."""
    capacity: int
    skills: frozenset[str] = frozenset()
    available: bool = True

    @property
    def free(self) -> bool:
        """Available and below capacity."""
        return self.available and self.load < self.capacity


@dataclass(frozen=True)
class Choice:
    """Who gets the ticket (None: the group queue) and the rotation pointer to keep."""

    user_id: int | None
    pointer: int | None


def _rotation(free: Sequence[Candidate], pointer: int | None) -> list[Candidate]:
    """`free` in rotation order: ascending user id, starting after the pointer, wrapping."""
    ordered = sorted(free, key=lambda c: c.user_id)
    if pointer is None:
        return ordered
    after = [c for c in ordered if c.user_id > pointer]
    return after + [c for c in ordered if c.user_id <= pointer]


def _pick(free: Sequence[Candidate], pointer: int | None) -> Choice:
    rotation = _rotation(free, pointer)
    if not rotation:
        return Choice(None, pointer)
    return Choice(rotation[0].user_id, rotation[0].user_id)


def round_robin(free: Sequence[Candidate], pointer: int | None) -> Choice:
    """The next free member after the one assigned last."""
    return _pick(free, pointer)


def least_loaded(free: Sequence[Candidate], pointer: int | None) -> Choice:
    """The free member with the fewest open tickets; ties go round-robin."""
    if not free:
        return Choice(None, pointer)
    lowest = min(c.load for c in free)
    return _pick([c for c in free if c.load == lowest], pointer)


def manual(free: Sequence[Candidate], pointer: int | None) -> Choice:
    """Nobody: the ticket waits in the group queue for an agent to claim it."""
    return Choice(None, pointer)


# `skills` is least-loaded among the members holding the skills: every strategy is given only
# those (see `choose`), so the two differ only in the name an administrator reads.
STRATEGIES: dict[Strategy, Callable[[Sequence[Candidate], int | None], Choice]] = {
    Strategy.ROUND_ROBIN: round_robin,
    Strategy.LEAST_LOADED: least_loaded,
    Strategy.SKILLS: least_loaded,
    Strategy.MANUAL: manual,
}


def choose(
    strategy: Strategy, candidates: Sequence[Candidate], pointer: int | None, skills: Iterable[str]
) -> Choice:
    """Apply `strategy` to the free members holding every required skill."""
    needed = frozenset(skills)
    free = [c for c in candidates if c.free and needed <= c.skills]
    return STRATEGIES[strategy](free, pointer)
