"""Tickets API: `?sort=f.<field>` / `-f.<field>` on a template's list, and its cursors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.app.api.test_tickets_api import API, Api, api, create, template  # noqa: F401


def _pages(api: Api, query: str, limit: int) -> list[int]:  # noqa: F811
    """Every id of the list, following next_cursor."""
    ids: list[int] = []
    cursor = ""
    for _ in range(20):
        response = api("GET", f"{API}?{query}&limit={limit}{cursor}")
        assert response.status_code == 200, response.json
        ids += [t["id"] for t in response.json["result"]]
        if response.json["next_cursor"] is None:
            return ids
        cursor = f"&cursor={response.json['next_cursor']}"
    raise AssertionError("pagination does not end")


@pytest.fixture
def made(api: Api, template: str) -> dict[str, Any]:  # noqa: F811
    """Four tickets: qty 5, 2, 9, 2; colors red, blue, red, red; dates, codes and urgency
    on some of them only."""
    a = create(api, template, qty=5, color="red", code="b", due="2026-03-01", urgent=True)
    b = create(api, template, qty=2, color="blue", code="B", due="2026-01-01", urgent=False)
    c = create(api, template, qty=9, code="a", urgent=True)
    d = create(api, template, qty=2, color="red", due="2026-02-01")
    return {"a": a["id"], "b": b["id"], "c": c["id"], "d": d["id"]}


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("f.qty", "dbac"),  # 2 (newest first), 2, 5, 9
        ("-f.qty", "cabd"),  # the exact reverse
        ("f.color", "bdca"),  # blue, red (newest first)
        ("-f.color", "acdb"),  # red (oldest first), blue
        ("f.due", "bdac"),  # dates as ISO text, none last
        ("f.code", "bcad"),  # "B" < "a" < "b" (code points), none last
        ("f.urgent", "bcad"),  # false, true (newest first), none last
        ("-f.urgent", "acbd"),
    ],
)
def test_a_template_list_sorts_by_a_custom_field(
    api: Api, template: str, made: dict[str, Any], sort: str, order: str  # noqa: F811
) -> None:
    want = [made[n] for n in order]
    for limit in (1, 3, 50):
        assert _pages(api, f"template={template}&sort={sort}", limit) == want, limit


def test_a_field_sort_cursor_belongs_to_its_sort(
    api: Api, template: str, made: dict[str, Any]  # noqa: F811
) -> None:
    first = api("GET", f"{API}?template={template}&sort=f.qty&limit=1").json
    cursor = first["next_cursor"]
    assert cursor is not None
    for other in ("-f.qty", "f.color", "newest", "due"):
        response = api("GET", f"{API}?template={template}&sort={other}&cursor={cursor}")
        assert response.status_code == 400, (other, response.json)
        assert "another sort" in response.json["message"]
    newest = api("GET", f"{API}?template={template}&limit=1").json["next_cursor"]
    response = api("GET", f"{API}?template={template}&sort=f.qty&cursor={newest}")
    assert response.status_code == 400 and "another sort" in response.json["message"]
    again = api("GET", f"{API}?template={template}&sort=f.qty&limit=1&cursor={cursor}")
    assert again.status_code == 200 and [t["id"] for t in again.json["result"]] == [made["b"]]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("sort=f.qty", "needs a template"),
        ("sort=-f.qty&template={template}&sort=f.qty", "once"),
        ("sort=f.contact&template={template}", "cannot sort by"),  # an object
        ("sort=f.nope&template={template}", "cannot sort by"),
        ("sort=f.bad-name&template={template}", "cannot be filtered on"),
        ("sort=+f.qty&template={template}", "Unknown sort"),
    ],
)
def test_a_custom_field_sort_without_a_template_or_field_is_400(
    api: Api, template: str, query: str, says: str  # noqa: F811
) -> None:
    response = api("GET", f"{API}?{query.format(template=template)}")
    assert response.status_code == 400, response.json
    assert says in response.json["message"], response.json


def test_the_spec_documents_the_sort_grammar(api: Api) -> None:  # noqa: F811
    spec = api("GET", "/api/v1/_openapi").json
    params = spec["paths"]["/api/v1/tickets/"]["get"]["parameters"]
    sort = next(p for p in params if p["name"] == "sort")
    assert "f.<field>" in sort["description"]
    assert any("pattern" in s for s in sort["schema"]["oneOf"])
