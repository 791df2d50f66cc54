"""A new ticket's one way in: data checked once, then department, state, assignee, subject."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from app.definitions import store
from app.extensions import db
from app.models import Department
from app.tickets.access import NoDefaultDepartment
from app.tickets.errors import TicketInvalid
from app.tickets.intake import (
    CheckedData,
    NewTicket,
    check_data,
    open_ticket,
    read_form,
    subject_for,
)
from app.tickets.models import Channel, Ticket
from app.tickets.service import Requester
from app.tickets.system import SUBJECT_MAX
from app.tickets.templates import TemplateForm, published_template
from tests.app.tickets.conftest import Setting

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "summary": {"type": "string", "minLength": 3},
        "qty": {"type": "integer", "minimum": 1},
    },
    "required": ["qty"],
}


def publish(setting: Setting, **settings: Any) -> TemplateForm:
    """The setting's template, published with these settings (default: its department)."""
    department = db.session.get(Department, setting.department_id)
    assert department is not None
    body = {
        "key": setting.template,
        "title": "  Intake test  ",
        "schema": SCHEMA,
        "settings": {"default_department": department.key, **settings},
    }
    row = store.save_draft("template", setting.template, body, None)
    store.publish(row.id, None)
    return published_template(setting.template)


def new(checked: CheckedData, **given: Any) -> NewTicket:
    values: dict[str, Any] = {
        "checked": checked,
        "requester": Requester("Li Wei", "li@example.test"),
        "channel": Channel.API.value,
        "actor_id": None,
        **given,
    }
    return NewTicket(**values)


def test_check_data_passes_valid_data_and_names_every_problem_under_data(
    setting: Setting,
) -> None:
    tf = publish(setting)
    assert check_data(tf, {"qty": 2}) == CheckedData(tf, {"qty": 2})
    with pytest.raises(TicketInvalid) as caught:
        check_data(tf, {"summary": "x", "qty": 0})
    assert caught.value.status == 422
    assert set(caught.value.errors) == {"/data/summary", "/data/qty"}
    with pytest.raises(TicketInvalid) as caught:
        check_data(tf, [1])
    assert list(caught.value.errors) == ["/data"]


def test_read_form_validates_the_posted_form_once(app_ctx: Flask, setting: Setting) -> None:
    tf = publish(setting)
    with app_ctx.test_request_context(method="POST"):
        form = tf.form(formdata=tf.form.encode({"summary": "Printer", "qty": 3}))
        assert read_form(tf, form) == CheckedData(tf, {"summary": "Printer", "qty": 3})
        bad = tf.form(formdata=tf.form.encode({"summary": "Printer", "qty": 0}))
        assert read_form(tf, bad) is None
        assert "/qty" in bad.errors_by_pointer()  # the form keeps its messages to show
        other = published_template("refund").form(formdata=tf.form.encode({"qty": 3}))
        with pytest.raises(TypeError):
            read_form(tf, other)


def test_open_ticket_routes_to_the_default_department_new_and_unassigned(
    setting: Setting,
) -> None:
    tf = publish(setting, subject="/summary")
    ticket = open_ticket(
        new(check_data(tf, {"summary": "Printer jams", "qty": 1}), actor_id=setting.agent_id)
    )
    assert ticket.department_id == setting.department_id
    assert (ticket.state, ticket.assignee_id, ticket.priority) == ("new", None, "normal")
    assert (ticket.template, ticket.template_version) == (tf.key, tf.version)
    assert (ticket.channel, ticket.requester_name) == ("api", "Li Wei")
    assert ticket.subject == "Printer jams"
    assert ticket.data == {"summary": "Printer jams", "qty": 1}
    given = open_ticket(new(check_data(tf, {"qty": 1}), priority="urgent", subject="Mine"))
    assert (given.priority, given.subject) == ("urgent", "Mine")


def test_subject_given_else_the_pointed_field_else_the_title(setting: Setting) -> None:
    tf = publish(setting, subject="/summary")
    named = check_data(tf, {"summary": "  From the form  ", "qty": 1})
    assert subject_for(named, "Given") == "Given"
    assert subject_for(named) == "From the form"
    assert subject_for(named, "") == "From the form"
    assert subject_for(check_data(tf, {"qty": 1})) == "Intake test"
    long = check_data(tf, {"summary": "x" * (SUBJECT_MAX + 50), "qty": 1})
    assert subject_for(long) == "x" * SUBJECT_MAX


def test_no_usable_default_department_is_409_and_saves_nothing(setting: Setting) -> None:
    tf = publish(setting)
    # Publication checks the department; renaming it afterwards leaves the template pointing
    # at no department.
    db.session.execute(
        update(Department).where(Department.id == setting.department_id)
        .values(key=f"gone_{setting.template}")
    )
    db.session.commit()
    with pytest.raises(NoDefaultDepartment) as caught:
        open_ticket(new(check_data(tf, {"qty": 1})))
    assert caught.value.status == 409
    assert db.session.scalars(select(Ticket).where(Ticket.template == tf.key)).all() == []
