"""Signing webhook bodies: HMAC-SHA256 over the timestamp and the exact bytes sent.

The signature is `hex(HMAC-SHA256(secret, f"{timestamp}." + body))`, sent as
`X-Tessera-Signature: v1=<hex>` beside `X-Tessera-Timestamp: <unix seconds>`. A receiver
recomputes it over the raw body it received (never a re-serialised one) and refuses
timestamps older or newer than its tolerance, so a captured request cannot be replayed later.
Pure: no Flask, no database, no clock of its own (`now` is passed in).
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["SCHEME", "TOLERANCE", "headers", "sign", "verify"]

SCHEME = "v1"
TOLERANCE = 300  # seconds a receiver accepts between the timestamp and its own clock


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `f"{timestamp}."` followed by `body`, keyed with `secret`."""
    message = f"{int(timestamp)}.".encode() + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def headers(
    secret: str, body: bytes, now: int | float, *, delivery: str, event: str
) -> dict[str, str]:
    """The HTTP headers of one delivery attempt of `body`, signed at time `now`."""
    timestamp = int(now)
    return {
        "Content-Type": "application/json",
        "X-Tessera-Timestamp": str(timestamp),
        "X-Tessera-Signature": f"{SCHEME}={sign(secret, timestamp, body)}",
        "X-Tessera-Delivery": delivery,
        "X-Tessera-Event": event,
    }


def _timestamp(value: int | str) -> int | None:
    """The header's Unix seconds, or None when it is no plain decimal number."""
    if isinstance(value, int):
        return value
    text = value.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 15 else None


def _candidates(signature: str) -> list[str]:
    """The hex digests in a signature header: `v1=<hex>` entries, comma-separated."""
    found = []
    for part in signature.split(","):
        scheme, _, digest = part.strip().partition("=")
        if scheme == SCHEME and digest:
            found.append(digest.strip())
    return found


def verify(
    secret: str,
    timestamp: int | str,
    body: bytes,
    signature: str,
    now: int | float,
    tolerance: int = TOLERANCE,
) -> bool:
    """True when `signature` (the `X-Tessera-Signature` value) signs `body` at `timestamp`.

    False for a timestamp more than `tolerance` seconds away from `now` (either way), for a
    malformed header, and for any other secret or body; digests are compared in constant time.
    """
    when = _timestamp(timestamp)
    if when is None or abs(now - when) > tolerance:
        return False
    expected = sign(secret, when, body).encode("ascii")
    matched = False
    for digest in _candidates(signature):
        matched |= hmac.compare_digest(expected, digest.encode("utf-8", "replace"))
    return matched
