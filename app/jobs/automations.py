"""The periodic automations job: one run over every workflow's time-based rules."""

from __future__ import annotations

import logging
from typing import Any

from app.clock import utcnow
from app.jobs import with_app_context

log = logging.getLogger(__name__)

JOB = "app.jobs.automations.run_automations"


@with_app_context
def run_automations() -> dict[str, Any]:
    """Sweep the automations now (idempotent per ticket and period); what it did."""
    from app.extensions import db
    from app.jobs.topics import load
    from app.tickets.automations import sweep

    load()
    swept = sweep(db.session, utcnow())
    log.info("automations: %d ticket(s) looked at, %d matched, %d action(s)",
             swept.tickets, swept.matched, swept.actions)
    return {"tickets": swept.tickets, "matched": swept.matched, "actions": swept.actions}
