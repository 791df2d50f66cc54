"""Create-ticket endpoint: the generated view vs a hand-written Flask view, same run.

Both sides do the same work for a 20-field template: FAB's permission check, the WTForms
form (compiled from the template by `forms.compile_form` on one side, a hand-written
`FlaskForm` class with the same fields and validators on the other), the same jsonschema
check of the resulting document, the same `create_ticket` transaction (ticket + first event)
and a redirect. Requests go through Flask's test client, interleaved, on a PostgreSQL
database of its own (`tessera_submit_bench`, dropped and created). Not a timed test.

    .venv/bin/python bench/submit_bench.py [--runs 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask, g, redirect, request  # noqa: E402
from flask_wtf import FlaskForm  # noqa: E402
from jsonschema import Draft202012Validator  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402
from wtforms import (  # noqa: E402
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # noqa: E402
from wtforms.validators import (  # noqa: E402
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from bench.list_bench import ADMIN_DSN, build_schema  # noqa: E402

DB_NAME = "tessera_submit_bench"
TEMPLATE = "bench_twenty"
PRODUCTS = ["PX-100", "PX-550", "LT-14", "LT-16", "RT-AX"]
CHANNELS = ["phone", "email", "walk_in", "chat"]


def schema() -> dict[str, Any]:
    """A 20-field ticket template: text, patterns, email, numbers, enums, booleans, dates."""
    text = {"type": "string", "maxLength": 200}
    props: dict[str, Any] = {
        "summary": {**text, "minLength": 3, "title": "Summary"},
        "description": {"type": "string", "maxLength": 5000, "title": "Description"},
        "order_number": {"type": "string", "pattern": "^SO-[0-9]{8}$", "title": "Order"},
        "serial": {"type": "string", "pattern": "^[A-Z0-9]{8,20}$", "title": "Serial"},
        "email": {"type": "string", "format": "email", "title": "E-mail"},
        "phone": {"type": "string", "maxLength": 30, "title": "Phone"},
        "product": {"enum": PRODUCTS, "title": "Product"},
        "channel": {"enum": CHANNELS, "title": "Channel"},
        "quantity": {"type": "integer", "minimum": 1, "maximum": 1000, "title": "Quantity"},
        "amount": {"type": "number", "minimum": 0, "maximum": 100000, "title": "Amount"},
        "purchase_date": {"type": "string", "format": "date", "title": "Purchased"},
        "vip": {"type": "boolean", "title": "VIP"},
        "under_warranty": {"type": "boolean", "title": "Warranty"},
    }
    for i in range(1, 8):
        props[f"note_{i}"] = {**text, "title": f"Note {i}"}
    return {
        "type": "object",
        "title": "Twenty fields",
        "properties": props,
        "required": ["summary", "email", "product", "quantity"],
    }


def instance() -> dict[str, Any]:
    data: dict[str, Any] = {
        "summary": "Printer jams on every page",
        "description": "Tray 2 jams; cleaned the rollers.",
        "order_number": "SO-12345678",
        "serial": "CN5MF5501234",
        "email": "li.wei@example.com",
        "phone": "+86 10 1234 5678",
        "product": "PX-550",
        "channel": "phone",
        "quantity": 2,
        "amount": 199.5,
        "purchase_date": "2026-03-14",
        "vip": True,
        "under_warranty": False,
    }
    for i in range(1, 8):
        data[f"note_{i}"] = f"note {i}"
    return data


def _choices(values: list[str]) -> list[SelectChoice]:
    return [SelectChoice("", "")] + [SelectChoice(v, v) for v in values]


class HandWrittenForm(FlaskForm):
    """The same twenty fields and checks, written by hand (WTForms names = property names)."""

    summary = StringField("Summary", [InputRequired(), Length(min=3, max=200)])
    description = TextAreaField("Description", [Optional(), Length(max=5000)])
    order_number = StringField("Order", [Optional(), Regexp(r"^SO-[0-9]{8}$")])
    serial = StringField("Serial", [Optional(), Regexp(r"^[A-Z0-9]{8,20}$")])
    email = EmailField("E-mail", [InputRequired(), Email(check_deliverability=False)])
    phone = StringField("Phone", [Optional(), Length(max=30)])
    product = SelectField("Product", [InputRequired()], choices=_choices(PRODUCTS))
    channel = SelectField("Channel", [Optional()], choices=_choices(CHANNELS))
    quantity = IntegerField("Quantity", [InputRequired(), NumberRange(1, 1000)])
    amount = DecimalField("Amount", [Optional(), NumberRange(0, 100000)])
    purchase_date = DateField("Purchased", [Optional()])
    vip = BooleanField("VIP")
    under_warranty = BooleanField("Warranty")
    note_1 = StringField("Note 1", [Optional(), Length(max=200)])
    note_2 = StringField("Note 2", [Optional(), Length(max=200)])
    note_3 = StringField("Note 3", [Optional(), Length(max=200)])
    note_4 = StringField("Note 4", [Optional(), Length(max=200)])
    note_5 = StringField("Note 5", [Optional(), Length(max=200)])
    note_6 = StringField("Note 6", [Optional(), Length(max=200)])
    note_7 = StringField("Note 7", [Optional(), Length(max=200)])

    def document(self) -> dict[str, Any]:
        """The JSON document, like `to_instance()` (absent when empty, JSON types)."""
        out: dict[str, Any] = {}
        for name, field in self._fields.items():
            if name == "csrf_token" or field.data in (None, ""):
                continue
            value = field.data
            if name == "amount":
                value = float(value)
            elif name == "purchase_date":
                value = value.isoformat()
            out[name] = value
        return out


def add_handwritten_view(app: Flask, validator: Draft202012Validator) -> None:
    """POST /bench/handwritten: what a developer would write for this one template."""
    from app.security import security_manager
    from app.tickets.access import default_department_id
    from app.tickets.models import Channel
    from app.tickets.service import Requester, create_ticket
    from app.tickets.templates import published_template

    def create() -> Any:
        if not security_manager().has_access("can_new", "TicketView"):
            return "forbidden", 403
        form = HandWrittenForm(formdata=request.form)
        if not form.validate():
            return "invalid", 422
        data = form.document()
        if any(True for _ in validator.iter_errors(data)):
            return "invalid", 422
        tf = published_template(TEMPLATE)
        ticket = create_ticket(
            template=tf.key,
            template_version=tf.version,
            subject=data["summary"],
            department_id=default_department_id(tf),
            data=data,
            requester=Requester(name=request.form.get("requester_name") or None),
            priority="normal",
            channel=Channel.AGENT.value,
            actor_id=g.user.id,
        )
        return redirect(f"/tickets/{ticket.id}")

    app.add_url_rule("/bench/handwritten", "bench_handwritten", create, methods=["POST"])


def publish_template(app: Flask) -> None:
    from app.definitions import store

    with app.app_context():
        body = {
            "key": TEMPLATE,
            "title": "Twenty fields",
            "schema": schema(),
            "settings": {"subject": "/summary", "default_department": "repair"},
        }
        row = store.save_draft("template", TEMPLATE, body, actor_id=None)
        store.publish(row.id, actor_id=None)


def build_app(url: str) -> Flask:
    from app import create_app
    from config import Config

    attrs = {
        "SQLALCHEMY_DATABASE_URI": url,
        "FAB_UPDATE_PERMS": False,
        "SECRET_KEY": "bench-" + "x" * 40,
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
    }
    return create_app(type("SubmitBenchConfig", (Config,), attrs))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    base = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    url = f"{base}/{DB_NAME}"
    build_schema(url, DB_NAME)
    app = build_app(url)
    publish_template(app)
    validator = Draft202012Validator(schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
    add_handwritten_view(app, validator)

    from forms import compile_form

    generated_post = compile_form(schema()).encode(instance())
    generated_post.add("requester_name", "Li Wei")
    generated_post.add("priority", "normal")
    handwritten_post = MultiDict(
        [(k, "y" if v is True else str(v)) for k, v in instance().items() if v is not False]
        + [("requester_name", "Li Wei")]
    )
    client = app.test_client()
    signed_in = client.post("/login/", data={"username": "agent5", "password": "agent5"})
    assert signed_in.status_code == 302, signed_in.status_code

    sides = {
        "generated  POST /tickets/new/<template>": (f"/tickets/new/{TEMPLATE}", generated_post),
        "hand-written POST /bench/handwritten": ("/bench/handwritten", handwritten_post),
    }
    timings: dict[str, list[float]] = {name: [] for name in sides}
    for run in range(args.runs + 20):  # 20 warm-up rounds
        for name, (path, data) in sides.items():
            start = time.perf_counter()
            response = client.post(path, data=data)
            elapsed = (time.perf_counter() - start) * 1000
            assert response.status_code == 302, (name, response.status_code)
            if run >= 20:
                timings[name].append(elapsed)

    with app.app_context():  # both sides stored the same document
        from sqlalchemy import select

        from app.extensions import db
        from app.tickets.models import Ticket

        last_two = db.session.scalars(select(Ticket).order_by(Ticket.id.desc()).limit(2)).all()
        assert last_two[0].data == last_two[1].data == instance(), [t.data for t in last_two]

    print(f"create-ticket endpoint, 20-field template, {args.runs} interleaved runs each")
    print(f"{'side':44} {'median ms':>10} {'p95 ms':>8}")
    medians = {}
    for name, values in timings.items():
        medians[name] = statistics.median(values)
        print(f"{name:44} {medians[name]:10.2f} {percentile(values, 95):8.2f}")
    generated, handwritten = medians.values()
    print(f"ratio generated / hand-written: {generated / handwritten:.2f}x   (goal <= 1.25)")


if __name__ == "__main__":
    main()
