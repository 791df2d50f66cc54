"""The UI in Chinese: a complete, well-formed catalogue, and pages in the language asked for.

The catalogue test extracts the strings from the source as `make messages` does and fails on
any that `app/translations/zh/LC_MESSAGES/messages.po` lacks or leaves untranslated, so a new
string is translated in the change that adds it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from flask import Flask

from tests.app.test_ticket_views import make_ticket, order_number, refund_data
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


def _catalogue() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f, locale="zh")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    pot = tmp_path_factory.mktemp("messages") / "messages.pot"
    subprocess.run(
        [
            sys.executable, "-m", "babel.messages.frontend", "extract",
            "-F", str(TRANSLATIONS / "babel.cfg"), "-o", str(pot), ".",
        ],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as f:
        return read_po(f)


def _translated(message: Any) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and not message.fuzzy


def test_every_string_of_the_source_has_a_chinese_translation(extracted: Catalog) -> None:
    zh = _catalogue()
    missing = [m.id for m in extracted if m.id and not (zh.get(m.id) and _translated(zh[m.id]))]
    assert not missing, f"{len(missing)} strings lack a translation (make messages): {missing[:10]}"


def test_the_translations_keep_their_placeholders() -> None:
    zh = _catalogue()
    problems = [(m.id, [str(e) for e in errors]) for m, errors in zh.check() if errors]
    assert not problems, problems[:10]


def test_the_compiled_catalogue_is_current() -> None:
    assert MO.exists(), "the catalogue is not compiled: run `make translations`"
    assert MO.stat().st_mtime >= PO.stat().st_mtime, "messages.mo is stale: `make translations`"


def test_the_browser_language_picks_the_pages_language(app: Flask) -> None:
    client = login(app.test_client(), "agent1")
    chinese = client.get("/tickets/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert chinese.status_code == 200
    assert "工单" in chinese.text
    english = client.get("/tickets/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "工单" not in english.text and "Tickets" in english.text
    # no Accept-Language at all: the default (English)
    assert "工单" not in client.get("/tickets/").text


def test_a_chosen_language_wins_over_the_browsers(app: Flask) -> None:
    client = login(app.test_client(), "agent1")
    switched = client.get("/lang/zh", headers={"Accept-Language": "en"})
    assert switched.status_code == 302
    page = client.get("/tickets/", headers={"Accept-Language": "en"})
    assert "工单" in page.text
    assert 'id="language-menu"' in page.text and 'lang="en">English</a>' in page.text
    client.get("/lang/en")
    assert "工单" not in client.get("/tickets/", headers={"Accept-Language": "zh"}).text
    assert client.get("/lang/xx").status_code == 404


def test_api_errors_follow_the_language(app: Flask) -> None:
    client = login(app.test_client(), "agent1")
    refused = client.get("/api/v1/tickets/?sort=sideways", headers={"Accept-Language": "zh"})
    assert refused.status_code == 400
    assert refused.is_json
    body = str(refused.json)
    assert "sideways" in body and "排序" in body


@pytest.mark.parametrize("role", ["admin", "agent", "head"])
def test_every_menu_page_renders_in_chinese(app: Flask, client_as: Any, role: str) -> None:
    """Each page of the role's menu, in Chinese: no placeholder a translation broke (500)."""
    client = client_as(role)
    home = client.get("/", headers={"Accept-Language": "zh"})
    assert home.status_code == 200
    links = sorted(set(re.findall(r'href="(/[a-z][^"#?]*/)"', home.text)))
    assert len(links) >= 3, links
    # a ticket's page and a create form too: the pages with the most words
    pk, _number = make_ticket(app, "refund", "billing", refund_data(order_number()))
    links += [f"/tickets/{pk}", "/tickets/new/", "/tickets/new/refund"]
    for link in links:
        page = client.get(link, headers={"Accept-Language": "zh"})
        assert page.status_code in (200, 302), (link, page.status_code)
