"""Errors of the ticket store: what is wrong with a request, and what may not happen now."""

from __future__ import annotations

from datetime import datetime

from app.errors import TesseraError


class TicketError(TesseraError):
    """Base class of the ticket store's errors; `status` is the HTTP code a view should use."""


class TicketNotFound(TicketError):
    """No ticket with that id (or number)."""

    status = 404


class TicketReadOnly(TicketError):
    """The user may read the ticket (they created it or commented) but not change it."""

    status = 403


class TicketInvalid(TicketError):
    """A system value is wrong; `errors` maps JSON pointers (into the ticket) to messages."""

    status = 422

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = {pointer: list(messages) for pointer, messages in errors.items()}
        first = next(iter(self.errors.items()), ("", ["invalid ticket"]))
        super().__init__(f"{first[0] or '/'}: {first[1][0]}")


class StaleTicket(TicketError):
    """The ticket changed since the caller read it: nothing was written (no lost update).

    Carries the version now stored and, from the latest event, who changed it and when, so a
    view can say "changed by X at T" and let the agent reload without losing their input.
    """

    status = 409

    def __init__(
        self,
        ticket_id: int,
        expected_version: int,
        current_version: int,
        changed_by_id: int | None,
        changed_at: datetime | None,
    ) -> None:
        self.ticket_id = ticket_id
        self.expected_version = expected_version
        self.current_version = current_version
        self.changed_by_id = changed_by_id
        self.changed_at = changed_at
        super().__init__(
            f"Ticket {ticket_id} is at version {current_version}, not {expected_version}."
        )


class BadCursor(TicketError):
    """A pagination cursor that this server did not make (or that was tampered with)."""


class BadFilter(TicketError):
    """A list filter that cannot be applied (unknown kind, bad field name, bad bound)."""


class AttachmentRejected(TicketError):
    """Base class of refused uploads."""

    status = 400


class AttachmentTooLarge(AttachmentRejected):
    """The file is larger than the configured limit."""

    status = 413


class AttachmentTypeNotAllowed(AttachmentRejected):
    """The content type (or the file name's extension) is not in the allowed list."""

    status = 415


class AttachmentMissing(TicketError):
    """The stored file for an attachment row is not in storage."""

    status = 404


class TransitionError(TicketError):
    """Base class of refused transitions, claims and transfers (nothing was written)."""


class TransitionUnknown(TicketInvalid):
    """The ticket's workflow has no transition of that name: 422 at `/transition`."""


class TransitionInvalid(TicketInvalid):
    """The document does not meet the transition's `requires`: 422, errors at `/data/...`."""


class TransitionUnavailable(TransitionError):
    """The transition exists but cannot be taken from the ticket's state (or its `when`)."""

    status = 409


class TransitionForbidden(TransitionError):
    """The user's roles on the ticket do not include one the transition names."""

    status = 403


class ApprovalPending(TransitionError):
    """The ticket waits for a head's decision on a transition: nothing else is taken now."""

    status = 409


class TransitionLapsed(TransitionError):
    """Approved, but the ticket changed meanwhile so that the transition no longer applies."""

    status = 409


class NotAMember(TransitionError):
    """Claiming or transferring needs a membership of the ticket's department."""

    status = 403


class ChaseTooSoon(TicketError):
    """The same actor chased the ticket less than `TESSERA_CHASE_INTERVAL` seconds ago: 429.

    `retry_after` is how many whole seconds remain until they may chase it again.
    """

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AlreadyClaimed(TransitionError):
    """Someone holds the ticket already (or it is no longer being worked): 409.

    `assignee_id` is who has it now (None when the ticket left the open queues instead).
    """

    status = 409

    def __init__(self, message: str, assignee_id: int | None) -> None:
        super().__init__(message)
        self.assignee_id = assignee_id
