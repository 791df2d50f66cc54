"""Ids beyond what a row can have answer 404 on every route that takes an id, never a 5xx."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.app.access_matrix import PATH_ARGS
from tests.conftest import login

HUGE = ("2147483648", "99999999999", "1" + "0" * 40)
_INT_PARAM = re.compile(r"<int:[a-z_]+>")
_OTHER_PARAM = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")


def _int_rules(app: Flask) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if _INT_PARAM.search(rule.rule):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((method, rule.rule))
    return sorted(found)


def _path(rule: str, huge: str) -> str:
    path = _INT_PARAM.sub(huge, rule)
    return _OTHER_PARAM.sub(lambda m: PATH_ARGS[m.group(1)].format(agent5_membership="1"), path)


def test_the_walk_covers_every_id_route(app: Flask) -> None:
    rules = {rule for _, rule in _int_rules(app)}
    # A sample of the areas that must be covered: tickets, team, console, definitions, API.
    for expected in (
        "/tickets/<int:pk>",
        "/team/availability/<int:membership_id>",
        "/api/v1/tickets/<int:pk>",
        "/api/v1/definitions/<int:pk>",
    ):
        assert expected in rules
    assert len(rules) >= 20


@pytest.mark.parametrize("role", ["agent", "admin"])
def test_huge_ids_answer_404_everywhere(app: Flask, role: str) -> None:
    client: FlaskClient = login(app.test_client(), "agent3" if role == "agent" else "admin")
    answers = {}
    for method, rule in _int_rules(app):
        for huge in HUGE:
            path = _path(rule, huge)
            status = client.open(path, method=method, buffered=True).status_code
            if status != 404:
                answers[f"{method} {path}"] = status
    assert answers == {}
