"""Tickets: storage (models, numbering, attachments), the service that writes them, and the
query layer that lists them fast on PostgreSQL and correctly on SQLite."""
