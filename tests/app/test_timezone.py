"""Pages show moments in the browser's time zone (cookie `tessera_tz`), else the default."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from app.extensions import db
from app.tickets.display import moment
from app.tickets.models import Ticket
from tests.app.test_ticket_views import make_ticket, order_number, refund_data
from tests.conftest import login


@pytest.mark.parametrize(
    ("cookie", "zone"),
    [
        ("Asia/Shanghai", "Asia/Shanghai"),
        ("America%2FSao_Paulo", "America/Sao_Paulo"),  # as the page's script writes it
        ("Mars/Olympus_Mons", "UTC"),  # unknown: the default zone, not an error
        (None, "UTC"),
    ],
)
def test_the_ticket_page_shows_its_times_in_the_browser_zone(
    app: Flask, cookie: str | None, zone: str
) -> None:
    pk, _number = make_ticket(app, "refund", "billing", refund_data(order_number()))
    with app.app_context():
        ticket = db.session.get(Ticket, pk)
        assert ticket is not None
        created = ticket.created_at
        db.session.remove()
    client = login(app.test_client(), "agent3")
    if cookie is not None:
        client.set_cookie("tessera_tz", cookie)
    page = client.get(f"/tickets/{pk}")
    assert page.status_code == 200
    assert moment(created, ZoneInfo(zone)) in page.text
    for other in {"Asia/Shanghai", "America/Sao_Paulo", "UTC"} - {zone}:
        assert moment(created, ZoneInfo(other)) not in page.text, other
