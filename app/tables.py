"""Every mapped table, gathered: FAB's security tables, Tessera's core and ticket tables.

Imports between model modules point one way (ticket models → core models → FAB's User), so
the core models do not pull in the ticket tables; whatever needs the whole metadata — the app
factory, Alembic's `migrations/env.py`, benchmarks building a schema — calls `metadata()`.
"""

from __future__ import annotations

from sqlalchemy import MetaData


def metadata() -> MetaData:
    """The metadata holding every table, with all model modules imported (mappers complete).

    Tessera's models and FAB's `ab_*` tables share `flask_appbuilder.Model.metadata`, which is
    not `db.Model.metadata`: autogenerate against the latter would drop FAB's tables.
    """
    from flask_appbuilder import Model
    from flask_appbuilder.security.sqla import models as _fab  # noqa: F401

    from app import models as _core  # noqa: F401
    from app.auth import models as _auth  # noqa: F401
    from app.notifications import models as _notifications  # noqa: F401
    from app.outbox import models as _outbox  # noqa: F401
    from app.tickets import models as _tickets  # noqa: F401
    from app.webhooks import models as _webhooks  # noqa: F401

    return Model.metadata
