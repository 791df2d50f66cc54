"""The bounded `<int:...>` converter: its regex takes exactly 0 … limit."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from app.limits import MAX_ID
from app.routing import digits_at_most


@given(st.integers(min_value=1, max_value=10**12), st.integers(min_value=0, max_value=10**13))
def test_regex_takes_exactly_the_numbers_up_to_the_limit(limit: int, number: int) -> None:
    regex = re.compile(digits_at_most(limit) + r"\Z")
    assert bool(regex.match(str(number))) == (number <= limit)


def test_row_id_bounds() -> None:
    regex = re.compile(digits_at_most(MAX_ID) + r"\Z")
    for number in (0, 7, 999_999_999, 2_000_000_000, MAX_ID):
        assert regex.match(str(number))
    for text in (str(MAX_ID + 1), "99999999999", "1" + "0" * 40, "-1", "", "1e9"):
        assert not regex.match(text)
