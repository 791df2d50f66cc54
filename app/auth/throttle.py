"""Login throttling: failed sign-ins counted per client address and per username.

Both counters only grow on a failed attempt (wrong password, unknown or inactive user), so
a correct password from an address that has not failed keeps working; once either counter
is full, every attempt through that address or for that username is refused until the
window ends, a correct password included. The username counter is what stops one account
being guessed from many addresses.

The counters live in the storage of Flask-Limiter (the extension Flask-AppBuilder builds):
`RATELIMIT_STORAGE_URI`, `memory://` for one process, `redis://...` to share them between
web processes. `RATELIMIT_ENABLED` switches the whole thing.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.strategies import RateLimiter

log = logging.getLogger(__name__)

NAMESPACE = "tessera-login"
DEFAULT_PER_ADDRESS = "10 per minute"
DEFAULT_PER_USERNAME = "5 per minute"

Bucket = tuple[RateLimitItem, tuple[str, ...]]  # a limit and the key it is counted under


def normalise_username(username: object) -> str:
    """The counter key of a typed username: trimmed, lower case ('' when there is none)."""
    return username.strip().lower() if isinstance(username, str) else ""


@dataclass(frozen=True)
class LoginThrottle:
    """Failed-login counters on a `limits` strategy (Flask-Limiter's, in the app)."""

    strategy: RateLimiter
    per_address: RateLimitItem
    per_username: RateLimitItem

    @classmethod
    def from_strings(
        cls, strategy: RateLimiter, per_address: str, per_username: str
    ) -> LoginThrottle:
        """A throttle with limits written like `10 per minute`."""
        return cls(strategy, parse(per_address), parse(per_username))

    def _buckets(self, address: str, username: str) -> list[Bucket]:
        buckets: list[Bucket] = [(self.per_address, (NAMESPACE, "address", address or "unknown"))]
        if username:
            buckets.append((self.per_username, (NAMESPACE, "username", username)))
        return buckets

    def retry_after(self, address: str, username: str) -> int | None:
        """Seconds until an attempt is allowed again, or None when it is allowed now."""
        waits = [
            self.strategy.get_window_stats(item, *keys).reset_time - time.time()
            for item, keys in self._buckets(address, username)
            if not self.strategy.test(item, *keys)
        ]
        return max(1, math.ceil(max(waits))) if waits else None

    def record_failure(self, address: str, username: str) -> None:
        """Count one failed attempt against the address and the username."""
        for item, keys in self._buckets(address, username):
            self.strategy.hit(item, *keys)
