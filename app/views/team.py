"""The team page: members of the user's departments, and who is away."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select

from app.extensions import db
from app.models import Availability, Department, MemberRole, Membership
from app.security import ROLE_ADMIN


def visible_memberships(user: object) -> list[Membership]:
    """Memberships in the departments `user` belongs to (all of them for admins)."""
    query = select(Membership).join(Department).order_by(Department.name, Membership.id)
    if ROLE_ADMIN not in {r.name for r in user.roles}:  # type: ignore[attr-defined]
        mine = select(Membership.department_id).where(Membership.user_id == user.id)  # type: ignore[attr-defined]
        query = query.where(Membership.department_id.in_(mine))
    return list(db.session.scalars(query))


def may_set_availability(user: object, target: Membership) -> bool:
    """Members set their own availability; heads set it for their departments; admins all."""
    if ROLE_ADMIN in {r.name for r in user.roles}:  # type: ignore[attr-defined]
        return True
    if target.user_id == user.id:  # type: ignore[attr-defined]
        return True
    head_of = select(Membership.id).where(
        Membership.user_id == user.id,  # type: ignore[attr-defined]
        Membership.department_id == target.department_id,
        Membership.role == MemberRole.HEAD.value,
    )
    return db.session.scalar(head_of) is not None


class TeamView(BaseView):
    """Lists the user's departments with members, skills, capacity and availability."""

    route_base = "/team"
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):  # type: ignore[no-untyped-def]
        members = visible_memberships(g.user)
        editable = {m.id for m in members if may_set_availability(g.user, m)}
        return self.render_template(
            "tessera/team.html", members=members, editable=editable, title="Team"
        )

    @expose("/availability/<int:membership_id>", methods=["POST"])
    @has_access
    def availability(self, membership_id: int):  # type: ignore[no-untyped-def]
        target = db.session.get(Membership, membership_id)
        if target is None:
            abort(404)
        if not may_set_availability(g.user, target):
            abort(403)
        value = request.form.get("availability", "")
        if value not in {a.value for a in Availability}:
            flash("Availability must be 'available' or 'away'.", "danger")
            return redirect(url_for("TeamView.list")), 400
        target.availability = value
        db.session.commit()
        flash(f"{target.user} is now {value} in {target.department}.", "success")
        return redirect(url_for("TeamView.list"))
