"""URL converters: ids in paths are 32-bit row ids, so a larger number is no route at all."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

from app.limits import MAX_ID


def digits_at_most(limit: int) -> str:
    """A regex matching the decimal numbers 0 … `limit` (leading zeros allowed, as `int`).

    For 2147483647: up to 9 digits, or 10 digits below the limit digit by digit.
    """
    text = str(limit)
    shorter = [rf"\d{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    same_length = []
    for index, digit in enumerate(text):
        if digit != "0":
            rest = len(text) - index - 1
            tail = rf"\d{{{rest}}}" if rest else ""
            same_length.append(f"{text[:index]}[0-{int(digit) - 1}]{tail}")
    same_length.append(text)
    return "(?:" + "|".join(shorter + same_length) + ")"


class RowIdConverter(IntegerConverter):
    """`<int:...>` that matches 0 … 2**31 - 1 only: a larger id answers 404, not a 500.

    Werkzeug's own `int` converter matches any digits, and PostgreSQL then refuses the value
    (`integer out of range`). The bound is in the regex, not only in `to_python`: a value the
    regex takes but the converter refuses would answer 405 to other methods instead of 404.
    """

    regex = digits_at_most(MAX_ID)


def install(url_map: Map) -> None:
    """Make `<int:...>` the bounded row-id converter for every rule added from now on."""
    url_map.converters["int"] = RowIdConverter
