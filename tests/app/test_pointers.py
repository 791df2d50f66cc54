"""RFC 6901 pointers: escaping round-trips, and pointers resolve in documents."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.pointers import escape, pointer, resolve, tokens, unescape


@given(st.lists(st.text(max_size=8), max_size=5))
def test_pointer_and_tokens_round_trip(parts: list[str]) -> None:
    assert tokens(pointer(parts)) == parts
    for part in parts:
        assert unescape(escape(part)) == part


def test_escaping_order() -> None:
    assert escape("a/b~c") == "a~1b~0c"
    assert unescape("~01") == "~1"  # not "/": ~1 is unescaped first


def test_resolve() -> None:
    doc = {"a": {"b/c": [10, {"d": None}]}, "": 1}
    assert resolve(doc, "") is doc
    assert resolve(doc, "/a/b~1c/0") == 10
    assert resolve(doc, "/a/b~1c/1/d", "gone") is None
    assert resolve(doc, "/a/b~1c/2", "gone") == "gone"
    assert resolve(doc, "/a/b~1c/x", "gone") == "gone"
    assert resolve(doc, "/", "gone") == 1
    with pytest.raises(ValueError):
        tokens("a/b")
