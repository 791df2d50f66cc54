"""Job functions used only by the tests (importable by a real worker)."""

from __future__ import annotations


def explode(message: str) -> None:
    """A job that always fails, to fill the failed-job registry."""
    raise RuntimeError(message)
