"""Workflow changes approved by department heads: submit, approve, reject, withdraw, impact."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app import approvals as shared
from app.approvals import workflows as approvals
from app.definitions import io, store
from app.definitions.errors import DefinitionConflict, DefinitionInvalid
from app.extensions import db
from app.models import (
    ApprovalKind,
    ApprovalRequest,
    AuditLog,
    Department,
    MemberRole,
    Membership,
)
from app.security import ROLE_ADMIN, ROLE_AGENT, ROLE_HEAD, security_manager
from app.tickets.intake import NewTicket, check_data, open_ticket
from app.tickets.models import Channel, Ticket
from app.tickets.service import Requester
from app.tickets.templates import published_template
from app.tickets.transitions import take

STATES = [
    {"name": "new", "category": "new"},
    {"name": "open", "category": "open"},
    {"name": "closed", "category": "closed"},
]
TRANSITIONS = [
    {"name": "start", "from": ["new"], "to": "open", "roles": ["agent"]},
    {"name": "close", "from": ["open"], "to": "closed", "roles": ["agent"]},
]
SCHEMA = {"type": "object", "properties": {"topic": {"type": "string"}}}


# -- a scene: two departments, their heads, a published workflow and a draft of the next -----


def topic_is(value: str) -> dict[str, Any]:
    return {"properties": {"data": {"properties": {"topic": {"const": value}},
                                    "required": ["topic"]}}}


def workflow_body(key: str, department: str | None, **routing: Any) -> dict[str, Any]:
    """A workflow whose one rule sends `topic: bill` tickets to `department` (none: no rule)."""
    rules = []
    if department is not None:
        rules.append({"name": "bills", "when": topic_is("bill"),
                      "then": {"department": department, "priority": "high"}})
    return {
        "key": key, "title": f"Workflow {key}", "states": STATES, "initial": "new",
        "transitions": TRANSITIONS, "routing": {"rules": rules, **routing},
    }


def new_user(fab_role: str, memberships: dict[int, str] | None = None) -> int:
    """A user with that FAB role, password = username, heading/working in departments."""
    sm = security_manager()
    name = f"ap_{uuid.uuid4().hex[:10]}"
    user = sm.add_user(name, "Ap", name, f"{name}@example.test", sm.find_role(fab_role),
                       password=name)
    assert user
    for department_id, role in (memberships or {}).items():
        db.session.add(Membership(user_id=user.id, department_id=department_id, role=role))
    db.session.commit()
    return int(user.id)


def username(user_id: int) -> str:
    found = security_manager().get_user_by_id(user_id)
    assert found is not None
    return str(found.username)


@dataclass(frozen=True)
class Dept:
    """A department as plain values (usable outside the session that made it)."""

    id: int
    key: str


@dataclass
class Scene:
    """A workflow `key` v1 (published, bills → a) followed by `template` (default a), and
    the v2 draft (bills → b) an admin wrote; heads of a and b, an agent of a, an admin who
    heads a, and the demo admin who heads nothing."""

    key: str
    template: str
    a: Dept
    b: Dept
    head_a: int
    head_b: int
    agent_a: int
    admin_head: int
    admin: int
    v1: int
    v2: int


def make_scene(v2_routing: dict[str, Any] | None = None) -> Scene:
    """Build a fresh scene in the current app context (committed)."""
    tag = uuid.uuid4().hex[:8]
    a = Department(key=f"ap{tag}a", name=f"Approvals {tag} A")
    b = Department(key=f"ap{tag}b", name=f"Approvals {tag} B")
    db.session.add_all([a, b])
    db.session.commit()
    head, agent = MemberRole.HEAD.value, MemberRole.AGENT.value
    admin = security_manager().find_user(username="admin").id
    key, template = f"wf_{tag}", f"tpl_{tag}"
    v1 = store.save_draft("workflow", key, workflow_body(key, a.key), admin)
    store.publish(v1.id, admin, approved_by_import=True)
    body = {"key": template, "title": "Approvals", "schema": SCHEMA,
            "settings": {"default_department": a.key, "workflow": key}}
    store.publish(store.save_draft("template", template, body, admin).id, admin)
    v2 = store.save_draft("workflow", key, workflow_body(key, b.key, **(v2_routing or {})), admin)
    return Scene(
        key, template, Dept(a.id, a.key), Dept(b.id, b.key),
        head_a=new_user(ROLE_HEAD, {a.id: head}),
        head_b=new_user(ROLE_HEAD, {b.id: head}),
        agent_a=new_user(ROLE_AGENT, {a.id: agent}),
        admin_head=new_user(ROLE_ADMIN, {a.id: head}),
        admin=admin, v1=v1.id, v2=v2.id,
    )


def ticket(scene: Scene, topic: str) -> Ticket:
    """A new ticket of the scene's template, routed by the workflow published now."""
    checked = check_data(published_template(scene.template), {"topic": topic})
    return open_ticket(NewTicket(checked, Requester("Li Wei"), Channel.API.value, None))


CLOSE_NEEDS_A_HEAD = [
    {"name": "start", "label": "Start", "from": ["new"], "to": "open", "roles": ["agent"]},
    {"name": "close", "label": "Close for good", "from": ["open"], "to": "closed",
     "roles": ["agent"], "approval": {"by": "department_head"}},
]


def closing_request(scene: Scene) -> tuple[int, int, str]:
    """v2 (approved by head_a) makes closing need a head; agent_a asks to close a new ticket.

    Returns (approval id, ticket id, ticket number) of the transition request.
    """
    body = {**workflow_body(scene.key, scene.a.key), "transitions": CLOSE_NEEDS_A_HEAD}
    store.update_draft(scene.v2, body, scene.admin)
    approvals.approve(approvals.submit(scene.v2, scene.admin).id, scene.head_a, None)
    agent = security_manager().get_user_by_id(scene.agent_a)
    made = ticket(scene, "bill")
    started = take(made.id, "start", made.lock_version, agent).ticket
    taken = take(started.id, "close", started.lock_version, agent, note="Customer agreed.")
    assert taken.approval is not None and taken.approval.kind == "transition"
    return taken.approval.id, made.id, made.number


def audit(object_type: str, object_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditLog.action)
            .where(AuditLog.object_type == object_type, AuditLog.object_id == object_id)
            .order_by(AuditLog.id)
        )
    )


def status(definition_id: int) -> str:
    db.session.expire_all()
    return store.get(definition_id).status


@pytest.fixture
def scene(app_ctx: Flask) -> Iterator[Scene]:
    yield make_scene()
    db.session.rollback()


# -- the impact comparison (pure) -------------------------------------------------------------


def routed(department: str = "a", priority: str | None = None, strategy: str = "manual") -> Any:
    return approvals.Routed(department, priority, strategy)


def test_compare_counts_each_aspect_and_keeps_the_first_examples() -> None:
    same = routed()
    replays = [
        approvals.Replay(1, "T-1", same, same),
        approvals.Replay(2, "T-2", same, routed("b")),
        approvals.Replay(3, "T-3", same, routed("b", "high")),
        approvals.Replay(4, "T-4", same, routed(strategy="skills")),
    ]
    impact = approvals.compare(replays, examples=1)
    assert impact.tickets == 4
    assert impact.changed == {"department": 2, "priority": 1, "strategy": 1}
    assert [r.ticket_id for r in impact.examples["department"]] == [2]
    assert [r.ticket_id for r in impact.examples["priority"]] == [3]
    assert [r.ticket_id for r in impact.examples["strategy"]] == [4]


def test_compare_of_nothing_changes_nothing() -> None:
    impact = approvals.compare([])
    assert impact.tickets == 0
    assert impact.changed == dict.fromkeys(approvals.ASPECTS, 0)
    assert impact.examples == {aspect: [] for aspect in approvals.ASPECTS}


_routes = st.builds(
    approvals.Routed,
    st.sampled_from(["a", "b"]),
    st.sampled_from([None, "high"]),
    st.sampled_from(["manual", "skills"]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_routes, _routes), max_size=30), st.integers(0, 6))
def test_compare_agrees_with_counting_by_hand(
    pairs: list[tuple[approvals.Routed, approvals.Routed]], examples: int
) -> None:
    replays = [approvals.Replay(i, f"T-{i}", b, a) for i, (b, a) in enumerate(pairs)]
    impact = approvals.compare(replays, examples=examples)
    assert impact.tickets == len(pairs)
    for aspect in approvals.ASPECTS:
        differ = [r for r in replays if getattr(r.before, aspect) != getattr(r.after, aspect)]
        assert impact.changed[aspect] == len(differ)
        assert impact.examples[aspect] == differ[:examples]


# -- submit -----------------------------------------------------------------------------------


def test_submit_asks_the_heads_of_old_and_new_departments_and_the_templates(
    scene: Scene,
) -> None:
    request = approvals.submit(scene.v2, scene.admin)
    assert status(scene.v2) == "pending"
    assert request.kind == ApprovalKind.WORKFLOW.value and request.definition_id == scene.v2
    assert {d.department_id for d in request.departments} == {scene.a.id, scene.b.id}
    assert audit("definition:workflow", scene.v2) == ["create", "submit"]
    assert audit("approval:workflow", request.id) == ["request"]
    # The heads of a and b see it in their inbox; the agent and the admin see nothing.
    for user_id, sees in [(scene.head_a, True), (scene.head_b, True), (scene.agent_a, False)]:
        found = db.session.scalars(shared.inbox(user_id)).all()
        assert (request in found) is sees
    with pytest.raises(shared.ApprovalNotFound):
        shared.get_request(request.id, scene.agent_a)


def test_a_template_default_department_counts_too(app_ctx: Flask) -> None:
    tag = uuid.uuid4().hex[:8]
    department = Department(key=f"ap{tag}d", name=f"Approvals {tag} D")
    db.session.add(department)
    db.session.commit()
    key, template = f"wf_{tag}", f"tpl_{tag}"
    v1 = store.save_draft("workflow", key, workflow_body(key, None), None)
    store.publish(v1.id, None, approved_by_import=True)
    body = {"key": template, "title": "Approvals", "schema": SCHEMA,
            "settings": {"default_department": department.key, "workflow": key}}
    store.publish(store.save_draft("template", template, body, None).id, None)
    # Neither version routes anywhere: only the following template's default department.
    v2 = store.save_draft("workflow", key, workflow_body(key, None, strategy="skills"), None)
    assert approvals.departments_for(v2) == {department.id}


def test_with_no_department_named_every_department_decides(app_ctx: Flask) -> None:
    key = f"wf_{uuid.uuid4().hex[:8]}"
    draft = store.save_draft("workflow", key, workflow_body(key, None), None)
    everyone = set(db.session.scalars(select(Department.id)))
    assert approvals.departments_for(draft) == everyone
    request = approvals.submit(draft.id, security_manager().find_user(username="admin").id)
    assert {d.department_id for d in request.departments} == everyone


def test_submit_needs_a_workflow_draft_that_passes_the_publish_checks(scene: Scene) -> None:
    with pytest.raises(DefinitionConflict):
        approvals.submit(scene.v1, scene.admin)  # published
    field_key = f"f_{uuid.uuid4().hex[:8]}"
    field = store.save_draft(
        "field", field_key, {"key": field_key, "title": "x", "schema": {"type": "string"}}, None
    )
    with pytest.raises(DefinitionConflict):
        approvals.submit(field.id, scene.admin)
    broken = workflow_body(scene.key, "no_such_department")
    store.update_draft(scene.v2, broken, scene.admin)
    with pytest.raises(DefinitionInvalid) as caught:
        approvals.submit(scene.v2, scene.admin)
    assert list(caught.value.errors) == ["/routing/rules/0/then/department"]
    assert status(scene.v2) == "draft"
    assert db.session.scalars(
        select(ApprovalRequest).where(ApprovalRequest.definition_id == scene.v2)
    ).all() == []


def test_a_pending_version_cannot_change_and_its_submitter_may_withdraw_it(
    scene: Scene,
) -> None:
    approvals.submit(scene.v2, scene.admin)
    with pytest.raises(DefinitionConflict):
        store.update_draft(scene.v2, workflow_body(scene.key, scene.a.key), scene.admin)
    db.session.rollback()
    with pytest.raises(DefinitionConflict):
        store.save_draft("workflow", scene.key, workflow_body(scene.key, scene.a.key), None)
    db.session.rollback()
    with pytest.raises(shared.NotAllowed):
        approvals.withdraw(scene.v2, scene.admin_head)  # not who submitted it
    assert status(scene.v2) == "pending"
    assert approvals.withdraw(scene.v2, scene.admin).status == "draft"
    assert audit("definition:workflow", scene.v2) == ["create", "submit", "withdraw"]
    store.update_draft(scene.v2, workflow_body(scene.key, scene.a.key), scene.admin)
    with pytest.raises(DefinitionConflict):
        approvals.withdraw(scene.v2, scene.admin)  # a draft: nothing to withdraw


# -- approve ----------------------------------------------------------------------------------


def test_a_head_approves_and_the_version_replaces_the_published_one(scene: Scene) -> None:
    request = approvals.submit(scene.v2, scene.admin)
    row = approvals.approve(request.id, scene.head_b, "Looks right.")
    assert (row.id, row.status, row.published_by_id) == (scene.v2, "published", scene.head_b)
    assert status(scene.v1) == "retired"
    assert store.published("workflow", scene.key).id == scene.v2
    db.session.refresh(request)
    assert (request.status, request.decided_by_id, request.comment) == (
        "approved", scene.head_b, "Looks right."
    )
    assert audit("approval:workflow", request.id) == ["request", "approve"]
    assert audit("definition:workflow", scene.v2) == ["create", "submit", "publish"]
    assert audit("definition:workflow", scene.v1)[-1] == "retire"
    with pytest.raises(shared.AlreadyDecided):
        approvals.approve(request.id, scene.head_a, None)


def test_new_tickets_follow_the_approved_version_and_old_ones_keep_theirs(
    scene: Scene,
) -> None:
    before = ticket(scene, "bill")
    assert (before.department_id, before.workflow_version) == (scene.a.id, 1)
    approvals.approve(approvals.submit(scene.v2, scene.admin).id, scene.head_a, None)
    after = ticket(scene, "bill")
    assert (after.department_id, after.workflow_version) == (scene.b.id, 2)
    db.session.refresh(before)
    assert (before.department_id, before.workflow_version) == (scene.a.id, 1)


@pytest.mark.parametrize("who", ["agent_a", "admin", "admin_head_submitter", "editor"])
def test_who_may_not_decide(scene: Scene, who: str) -> None:
    submitter, decider = scene.admin, getattr(scene, who, None)
    if who == "admin_head_submitter":  # the author is a head of a: still not theirs
        submitter = decider = scene.admin_head
    if who == "editor":  # a head who edited the draft, submitted by someone else
        store.update_draft(scene.v2, workflow_body(scene.key, scene.b.key, strategy="skills"),
                           scene.admin_head)
        decider = scene.admin_head
    request = approvals.submit(scene.v2, submitter)
    assert decider is not None
    assert not approvals.may_decide(request, decider)
    with pytest.raises(shared.NotAllowed):
        approvals.approve(request.id, decider, None)
    with pytest.raises(shared.NotAllowed):
        approvals.reject(request.id, decider, "No.")
    assert status(scene.v2) == "pending"
    assert approvals.may_decide(approvals.pending_request(scene.v2), scene.head_b)


def test_a_publish_check_failing_at_approval_changes_nothing(scene: Scene) -> None:
    skill = f"skill_{uuid.uuid4().hex[:6]}"
    member = db.session.scalar(
        select(Membership).where(Membership.user_id == scene.head_b)
    )
    assert member is not None
    member.skills = [skill]
    db.session.commit()
    body = workflow_body(scene.key, scene.b.key)
    body["routing"]["rules"][0]["then"]["skills"] = [skill]
    store.update_draft(scene.v2, body, scene.admin)
    request = approvals.submit(scene.v2, scene.admin)
    member.skills = []  # nobody holds the skill any more
    db.session.commit()
    with pytest.raises(DefinitionInvalid) as caught:
        approvals.approve(request.id, scene.head_b, None)
    assert list(caught.value.errors) == ["/routing/rules/0/then/skills/0"]
    db.session.expire_all()
    assert store.get(scene.v2).status == "pending" and store.get(scene.v1).status == "published"
    assert db.session.get(ApprovalRequest, request.id).status == "pending"
    assert audit("approval:workflow", request.id) == ["request"]


# -- reject -----------------------------------------------------------------------------------


def test_rejecting_needs_a_comment_and_leaves_a_new_draft_possible(scene: Scene) -> None:
    request = approvals.submit(scene.v2, scene.admin)
    for comment in (None, "", "   "):
        with pytest.raises(shared.CommentRequired) as caught:
            approvals.reject(request.id, scene.head_a, comment)
        assert caught.value.status == 422 and list(caught.value.errors) == ["/comment"]
    assert status(scene.v2) == "pending"
    row = approvals.reject(request.id, scene.head_a, "Bills stay with team A.")
    assert row.status == "rejected"
    assert store.published("workflow", scene.key).id == scene.v1
    assert audit("definition:workflow", scene.v2) == ["create", "submit", "reject"]
    assert audit("approval:workflow", request.id) == ["request", "reject"]
    latest = approvals.latest_requests([scene.v2])[scene.v2]
    assert (latest.status, latest.comment) == ("rejected", "Bills stay with team A.")
    again = store.save_draft("workflow", scene.key, store.get(scene.v2).body, scene.admin)
    assert (again.version, again.status) == (3, "draft")


# -- direct publishing ------------------------------------------------------------------------


def test_a_workflow_is_published_directly_only_by_an_import(scene: Scene) -> None:
    with pytest.raises(store.ApprovalRequired) as caught:
        store.publish(scene.v2, scene.admin)
    assert caught.value.status == 409
    assert status(scene.v2) == "draft"
    text = store.canonical_json(workflow_body(scene.key, scene.b.key, strategy="skills"))
    db.session.rollback()
    store.update_draft(scene.v2, workflow_body(scene.key, scene.a.key), scene.admin)
    files = {f"workflow/{scene.key}.json": text}
    with pytest.raises(store.ApprovalRequired):
        io.import_texts(files, publish=True, actor_id=scene.admin, approved_by_import=False)
    assert status(scene.v2) == "draft" and store.published("workflow", scene.key).id == scene.v1
    report = io.import_texts(files, publish=True, actor_id=None)
    assert report.created == [f"workflow:{scene.key} v2"]
    assert store.published("workflow", scene.key).body["routing"]["strategy"] == "skills"


def test_an_approved_request_is_the_only_way_past_publish(scene: Scene) -> None:
    request = approvals.submit(scene.v2, scene.admin)
    with pytest.raises(DefinitionConflict):
        store.publish_approved(request, scene.head_a)  # still pending, not approved
    with pytest.raises(DefinitionConflict):
        store.publish(scene.v2, scene.admin, approved_by_import=True)  # not a draft


# -- the impact preview -----------------------------------------------------------------------


def test_the_impact_replays_the_tickets_of_the_following_templates(scene: Scene) -> None:
    bills = [ticket(scene, "bill") for _ in range(7)]
    others = [ticket(scene, "other") for _ in range(2)]
    store.update_draft(
        scene.v2, workflow_body(scene.key, scene.b.key, strategy="least_loaded"), scene.admin
    )
    impact = approvals.impact(store.get(scene.v2))
    assert impact is not None and impact.tickets == 9
    # Bills move from a to b; every ticket's strategy goes from manual to least_loaded.
    assert impact.changed == {"department": 7, "priority": 0, "strategy": 9}
    newest_bills = [t.id for t in reversed(bills)][: approvals.EXAMPLES]
    assert [r.ticket_id for r in impact.examples["department"]] == newest_bills
    example = impact.examples["department"][0]
    assert (example.before.department, example.after.department) == (scene.a.key, scene.b.key)
    assert example.number == bills[-1].number
    assert {r.ticket_id for r in impact.examples["strategy"]} <= {t.id for t in bills + others}
    limited = approvals.impact(store.get(scene.v2), limit=3)
    assert limited is not None and limited.tickets == 3


def test_no_impact_without_a_published_version(app_ctx: Flask) -> None:
    key = f"wf_{uuid.uuid4().hex[:8]}"
    draft = store.save_draft("workflow", key, workflow_body(key, None), None)
    assert approvals.impact(draft) is None


def test_the_review_diffs_against_the_published_version(scene: Scene) -> None:
    request = approvals.submit(scene.v2, scene.admin)
    review = approvals.review(request)
    assert review.published is not None and review.published.id == scene.v1
    lines = review.diff.splitlines()
    assert lines[:2] == [f"--- workflow:{scene.key} v1", f"+++ workflow:{scene.key} v2"]
    changed = [line[0] + line[1:].strip() for line in lines[2:] if line[0] in "+-"]
    assert changed == [
        f'-"department": "{scene.a.key}",', f'+"department": "{scene.b.key}",'
    ]
    assert review.impact is not None
    approvals.approve(request.id, scene.head_b, None)
    decided = approvals.review(db.session.get(ApprovalRequest, request.id))
    assert decided.published is not None and decided.published.id == scene.v1  # the one before
    assert decided.impact is None


# -- at the same moment -----------------------------------------------------------------------


def at_once(app: Flask, calls: list[Any]) -> list[BaseException | None]:
    """Run each call in its own thread and app context, started together; what each raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[BaseException | None] = [None] * len(calls)

    def work(index: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                calls[index]()
            except BaseException as exc:  # collected: each thread's outcome is asserted
                outcomes[index] = exc
            db.session.remove()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.backend("postgresql")
def test_two_heads_deciding_at_once_take_turns(app: Flask) -> None:
    with app.app_context():
        scene = make_scene()
        approval_id = approvals.submit(scene.v2, scene.admin).id
        db.session.remove()
    outcomes = at_once(app, [
        lambda: approvals.approve(approval_id, scene.head_a, None),
        lambda: approvals.reject(approval_id, scene.head_b, "No."),
    ])
    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadyDecided", "NoneType"]
    with app.app_context():
        request = db.session.get(ApprovalRequest, approval_id)
        assert request is not None
        expected = "published" if request.status == "approved" else "rejected"
        assert store.get(scene.v2).status == expected
        assert len(audit("approval:workflow", approval_id)) == 2  # requested, decided once


@pytest.mark.backend("postgresql")
def test_a_version_submitted_twice_at_once_has_one_request(app: Flask) -> None:
    with app.app_context():
        scene = make_scene()
        db.session.remove()
    outcomes = at_once(app, [lambda: approvals.submit(scene.v2, scene.admin)] * 2)
    assert sorted(type(o).__name__ for o in outcomes) == ["DefinitionConflict", "NoneType"]
    with app.app_context():
        requests = db.session.scalars(
            select(ApprovalRequest).where(ApprovalRequest.definition_id == scene.v2)
        ).all()
        assert [r.status for r in requests] == ["pending"]
