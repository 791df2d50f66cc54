"""Demo departments, users and memberships; loading twice changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.definitions.io import import_texts, read_path
from app.extensions import db
from app.models import Department, MemberRole, Membership
from app.security import ROLE_ADMIN, ROLE_AGENT, ROLE_HEAD, security_manager

DEPARTMENTS = [
    ("frontline", "Frontline (一线客服)", "First contact for every request."),
    ("billing", "Billing (财务)", "Invoices, payments and refunds."),
    ("technical", "Technical Support (技术支持)", "Software, network and device problems."),
    ("repair", "After-sales Repair (售后维修)", "Warranty and paid repairs of devices."),
]

# username, role, [(department key, member role, skills, capacity)]
USERS: list[tuple[str, str, list[tuple[str, str, list[str], int]]]] = [
    ("admin", ROLE_ADMIN, []),
    ("agent1", ROLE_AGENT, [("frontline", "agent", ["english", "vip", "senior"], 20)]),
    ("agent2", ROLE_AGENT, [("frontline", "agent", ["chinese"], 20)]),
    ("agent3", ROLE_AGENT, [("billing", "agent", ["refund", "vip"], 12)]),
    ("agent4", ROLE_AGENT, [("technical", "agent", ["printer", "network", "english"], 10)]),
    ("agent5", ROLE_AGENT, [("repair", "agent", ["printer", "hardware"], 8)]),
    (
        "agent6",
        ROLE_AGENT,
        [("technical", "agent", ["vip"], 6), ("repair", "agent", ["printer"], 6)],
    ),
    (
        "head1",
        ROLE_HEAD,
        [("frontline", "head", ["escalation"], 5), ("billing", "head", ["refund"], 5)],
    ),
    (
        "head2",
        ROLE_HEAD,
        [("technical", "head", ["escalation"], 5), ("repair", "head", ["hardware"], 5)],
    ),
]

DEFINITIONS = Path(__file__).parent / "definitions"

DEMO_LOGINS = [(username, role) for username, role, _ in USERS]


def _ensure_department(key: str, name: str, description: str) -> Department:
    department = db.session.scalar(select(Department).where(Department.key == key))
    if department is None:
        department = Department(key=key, name=name, description=description)
        db.session.add(department)
        db.session.flush()
    return department


def _ensure_user(username: str, role_name: str) -> Any:
    sm = security_manager()
    user = sm.find_user(username=username)
    if user is None:
        role = sm.find_role(role_name)
        if role is None:
            raise RuntimeError(f"Role {role_name} is missing: run the migrations first.")
        user = sm.add_user(
            username,
            username.capitalize(),
            "Demo",
            f"{username}@demo.tessera.test",
            role,
            password=username,
        )
        if not user:
            raise RuntimeError(f"Could not create demo user {username}.")
    return user


def load_demo() -> dict[str, int]:
    """Create what is missing of the demo data and report the totals."""
    departments = {key: _ensure_department(key, name, d) for key, name, d in DEPARTMENTS}
    for username, role_name, places in USERS:
        user = _ensure_user(username, role_name)
        for key, member_role, skills, capacity in places:
            department = departments[key]
            exists = db.session.scalar(
                select(Membership).where(
                    Membership.user_id == user.id, Membership.department_id == department.id
                )
            )
            if exists is None:
                db.session.add(
                    Membership(
                        user_id=user.id,
                        department_id=department.id,
                        role=MemberRole(member_role).value,
                        skills=skills,
                        capacity=capacity,
                    )
                )
    db.session.commit()
    report = import_texts(read_path(DEFINITIONS), publish=True, actor_id=None)
    return {
        "departments": len(departments),
        "users": len(USERS),
        "memberships": sum(len(places) for _, _, places in USERS),
        "definitions imported": len(report.created),
        "definitions unchanged": len(report.unchanged),
    }
