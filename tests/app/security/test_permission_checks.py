"""Permission checks resolved once per request: every change counts from the next request on.

Changes are made the way the security console makes them (FAB's security manager, committed),
between two requests of the same signed-in session.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask import Flask, g
from flask.testing import FlaskClient
from flask_login import login_user

from app.extensions import db
from app.security import security_manager
from tests.app.security.conftest import Person, recorded_statements
from tests.conftest import login

LIST = ("can_list", "TicketView")


def _new_role(app: Flask) -> str:
    """A database role with no permissions (not one of FAB_ROLES' builtin roles)."""
    name = f"Reader{uuid.uuid4().hex[:6]}"
    with app.app_context():
        assert security_manager().add_role(name) is not None
        db.session.remove()
    return name


def _grant(app: Flask, role: str, allowed: bool) -> None:
    """Give `role` the ticket list permission, or take it away."""
    with app.app_context():
        sm = security_manager()
        permission = sm.find_permission_view_menu(*LIST)
        if allowed:
            sm.add_permission_role(sm.find_role(role), permission)
        else:
            sm.del_permission_role(sm.find_role(role), permission)
        db.session.remove()


def _set_roles(app: Flask, person: Person, *roles: str) -> None:
    with app.app_context():
        sm = security_manager()
        user = sm.get_user_by_id(person.id)
        user.roles = [sm.find_role(name) for name in roles]
        sm.update_user(user)
        db.session.remove()


def _lists(client: FlaskClient) -> bool:
    """True when the ticket list answers (FAB redirects a refused user away)."""
    return client.get("/tickets/").status_code == 200


def test_a_role_permission_counts_from_the_next_request(
    app: Flask, make_person: Callable[..., Person]
) -> None:
    role = _new_role(app)
    person = make_person(role)
    client = login(app.test_client(), person.username, person.password)
    assert not _lists(client)
    _grant(app, role, True)
    assert _lists(client)
    _grant(app, role, False)
    assert not _lists(client)


def test_a_change_of_roles_counts_from_the_next_request(
    app: Flask, make_person: Callable[..., Person]
) -> None:
    role = _new_role(app)
    person = make_person(role)
    client = login(app.test_client(), person.username, person.password)
    assert not _lists(client)
    _set_roles(app, person, role, "Agent")  # a builtin role, checked by pattern
    assert _lists(client)
    _set_roles(app, person, role)
    assert not _lists(client)
    _set_roles(app, person, "Admin")  # a database role
    assert _lists(client)
    assert client.get("/ops/").status_code == 200
    _set_roles(app, person, role)
    assert client.get("/ops/").status_code != 200


def test_a_group_brings_its_roles_permissions(
    app: Flask, make_person: Callable[..., Person]
) -> None:
    granted = _new_role(app)
    _grant(app, granted, True)
    person = make_person(_new_role(app))
    client = login(app.test_client(), person.username, person.password)
    assert not _lists(client)
    with app.app_context():
        sm = security_manager()
        group = sm.add_group(
            f"g{uuid.uuid4().hex[:6]}",
            "Readers",
            "",
            roles=[sm.find_role(granted)],
            users=[sm.get_user_by_id(person.id)],
        )
        assert group is not None
        db.session.remove()
    assert _lists(client)


def test_a_permission_written_within_the_request_is_seen_at_once(
    app: Flask, make_person: Callable[..., Person]
) -> None:
    role = _new_role(app)
    person = make_person(role)
    with app.test_request_context("/tickets/"):
        sm = security_manager()
        user = sm.get_user_by_id(person.id)
        login_user(user)
        g.user = user
        assert not sm.has_access(*LIST)
        sm.add_permission_role(sm.find_role(role), sm.find_permission_view_menu(*LIST))
        assert sm.has_access(*LIST)
        db.session.remove()


def test_a_rolled_back_permission_is_forgotten(
    app: Flask, make_person: Callable[..., Person]
) -> None:
    role = _new_role(app)
    person = make_person(role)
    with app.test_request_context("/tickets/"):
        sm = security_manager()
        user = sm.get_user_by_id(person.id)
        login_user(user)
        g.user = user
        reader = sm.find_role(role)
        reader.permissions.append(sm.find_permission_view_menu(*LIST))
        db.session.flush()
        assert sm.has_access(*LIST)
        db.session.rollback()
        assert not sm.has_access(*LIST)
        db.session.remove()


def test_the_checks_of_a_request_read_the_grants_once(
    app: Flask, make_person: Callable[..., Person]
) -> None:
    role = _new_role(app)
    _grant(app, role, True)
    person = make_person(role)
    with app.test_request_context("/tickets/"):
        sm = security_manager()
        user = sm.get_user_by_id(person.id)
        login_user(user)
        g.user = user
        sm.get_user_roles(user)  # roles and groups loaded, as the session's user loader does
        with recorded_statements(app) as seen:
            answers = [sm.has_access(*LIST), sm.has_access("can_edit", "UserDBModelView")] * 5
        db.session.remove()
    assert answers == [True, False] * 5
    assert len(seen) == 1, seen


def test_anonymous_visitors_get_the_public_roles_answers(app: Flask) -> None:
    with app.test_request_context("/login/"):
        sm = security_manager()
        with recorded_statements(app) as seen:
            answers = {sm.has_access(*LIST), sm.has_access("menu_access", "Ticket desk")}
        db.session.remove()
    assert answers == {False}
    assert len(seen) == 1, seen
    page = app.test_client().get("/tickets/")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
