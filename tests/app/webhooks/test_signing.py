"""Signing: HMAC-SHA256 over the timestamp and the body; tampering and stale times refused."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from app.webhooks.signing import headers, sign, verify

SECRET = "s3cret-0123456789abcdef"
NOW = 1_800_000_000
BODY = b'{"event":"ticket.created","id":"t1:e1:w1"}'


def test_sign_is_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, BODY) == expected


def test_headers_carry_signature_timestamp_delivery_and_event() -> None:
    sent = headers(SECRET, BODY, NOW + 0.7, delivery="t1:e1:w1", event="ticket.created")
    assert sent == {
        "Content-Type": "application/json",
        "X-Tessera-Timestamp": str(NOW),
        "X-Tessera-Signature": f"v1={sign(SECRET, NOW, BODY)}",
        "X-Tessera-Delivery": "t1:e1:w1",
        "X-Tessera-Event": "ticket.created",
    }


def test_round_trip_through_the_headers() -> None:
    sent = headers(SECRET, BODY, NOW, delivery="d", event="e")
    assert verify(
        SECRET, sent["X-Tessera-Timestamp"], BODY, sent["X-Tessera-Signature"], NOW + 10
    )


def test_tampered_body_timestamp_secret_or_signature_is_refused() -> None:
    signature = f"v1={sign(SECRET, NOW, BODY)}"
    assert not verify(SECRET, NOW, BODY + b" ", signature, NOW)
    assert not verify(SECRET, NOW + 1, BODY, signature, NOW)
    assert not verify("another-secret", NOW, BODY, signature, NOW)
    assert not verify(SECRET, NOW, BODY, signature[:-1] + "0", NOW)
    assert not verify(SECRET, NOW, BODY, "v0=" + signature[3:], NOW)
    assert not verify(SECRET, NOW, BODY, "", NOW)


def test_stale_and_future_timestamps_are_refused() -> None:
    signature = f"v1={sign(SECRET, NOW, BODY)}"
    assert verify(SECRET, NOW, BODY, signature, NOW + 300)
    assert not verify(SECRET, NOW, BODY, signature, NOW + 301)
    assert not verify(SECRET, NOW, BODY, signature, NOW - 301)
    assert verify(SECRET, NOW, BODY, signature, NOW + 60, tolerance=60)
    assert not verify(SECRET, NOW, BODY, signature, NOW + 61, tolerance=60)


def test_malformed_timestamps_are_refused() -> None:
    signature = f"v1={sign(SECRET, NOW, BODY)}"
    for timestamp in ("", "abc", f"{NOW}.0", f"-{NOW}", "１２３"):
        assert not verify(SECRET, timestamp, BODY, signature, NOW)


def test_one_of_several_signatures_may_match() -> None:
    good = sign(SECRET, NOW, BODY)
    assert verify(SECRET, NOW, BODY, f"v1={'0' * 64}, v1={good}", NOW)


@given(
    secret=st.text(min_size=1, max_size=64),
    body=st.binary(max_size=2048),
    timestamp=st.integers(min_value=0, max_value=2**40),
    flip=st.integers(min_value=0),
)
def test_property_round_trip_and_any_changed_byte_fails(
    secret: str, body: bytes, timestamp: int, flip: int
) -> None:
    signature = f"v1={sign(secret, timestamp, body)}"
    assert verify(secret, str(timestamp), body, signature, timestamp)
    if body:
        position = flip % len(body)
        changed = body[:position] + bytes([body[position] ^ 0x01]) + body[position + 1 :]
        assert not verify(secret, timestamp, changed, signature, timestamp)
    assert not verify(secret, timestamp, body + b"\x00", signature, timestamp)
