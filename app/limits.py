"""Limits shared by the API, the definition checks and the ticket store."""

from __future__ import annotations

MAX_ID = 2**31 - 1
"""Largest id a row can have: ids are 32-bit integers (a larger one would be a database error)."""

MAX_BODY_BYTES = 1_000_000
"""Largest JSON body (API request or definition document) in bytes."""

MAX_DEPTH = 32
"""Deepest nesting of objects and arrays accepted in a JSON body or definition."""

