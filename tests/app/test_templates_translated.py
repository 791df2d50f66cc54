"""Every word a page shows comes through Flask-Babel: no bare text in the app's templates.

Reads each template as HTML with its Jinja parts taken out; what is left between tags (and in
title, placeholder, aria-label and alt attributes) must hold no words. Code samples (`code`,
`pre`), scripts and styles are not prose. The fallback error page renders without the app (the
layout failed), so it stays plain English.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
TAG_NAME = re.compile(r"(</?)\{\{.*?\}\}")  # `<{{ heading }} ...>`: a tag all the same
WORDS = re.compile(r"[A-Za-z]{2}")
NOT_PROSE = frozenset({"script", "style", "code", "pre"})
ATTRIBUTES = frozenset({"title", "placeholder", "aria-label", "alt"})
# Names that are the same in every language.
NAMES = frozenset({"Tessera"})
PLAIN = frozenset({"tessera/errors/fallback.html"})


class _Bare(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[int, str]] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth += tag in NOT_PROSE
        for name, value in attrs:
            if name in ATTRIBUTES and value and WORDS.search(value):
                self.found.append((self.getpos()[0], f"{name}={value!r}"))

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag in NOT_PROSE and self.depth > 0

    def handle_data(self, data: str) -> None:
        text = data.strip()
        if not self.depth and WORDS.search(text) and text not in NAMES:
            self.found.append((self.getpos()[0], text))


def bare_text(source: str) -> list[tuple[int, str]]:
    """(line, text) of the words in `source` that do not come from Jinja expressions."""
    # Each Jinja part gives way to its newlines, so line numbers stay those of the file; one
    # that names a tag gives way to a name.
    parser = _Bare()
    named = TAG_NAME.sub(r"\1x", source)
    parser.feed(JINJA.sub(lambda m: "\n" * m.group(0).count("\n"), named))
    parser.close()
    return parser.found


def _templates() -> list[str]:
    names = (p.relative_to(TEMPLATES).as_posix() for p in sorted(TEMPLATES.rglob("*.html")))
    return [name for name in names if name not in PLAIN]


def test_the_scan_finds_bare_words() -> None:
    assert bare_text('<p>{{ _("Saved.") }}</p>\n<p>Not saved</p>') == [(2, "Not saved")]
    assert bare_text('<input placeholder="Search">') == [(1, "placeholder='Search'")]
    assert bare_text('<code>flask run</code><h1>Tessera</h1>{# Notes #}') == []
    assert bare_text('<{{ h }} class="a">{{ q }}</{{ h }}>') == []


@pytest.mark.parametrize("name", _templates())
def test_template_shows_only_translated_words(name: str) -> None:
    found = bare_text((TEMPLATES / name).read_text(encoding="utf-8"))
    assert not found, f"{name}: words outside _(): " + "; ".join(
        f"line {line}: {text!r}" for line, text in found
    )
