"""The team page: members of the user's departments, and who is away."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Availability, Department, MemberRole, Membership
from app.security import ROLE_ADMIN
from app.views.display import or_dash, skill_tags


def visible_memberships(user: Any) -> list[Membership]:
    """Memberships in the departments `user` belongs to (all of them for admins)."""
    query = select(Membership).join(Department).order_by(Department.name, Membership.id)
    if ROLE_ADMIN not in {r.name for r in user.roles}:
        mine = select(Membership.department_id).where(Membership.user_id == user.id)
        query = query.where(Membership.department_id.in_(mine))
    return list(db.session.scalars(query))


def may_set_availability(user: Any, target: Membership) -> bool:
    """Members set their own availability; heads set it for their departments; admins all."""
    if ROLE_ADMIN in {r.name for r in user.roles}:
        return True
    if target.user_id == user.id:
        return True
    head_of = select(Membership.id).where(
        Membership.user_id == user.id,
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
    def list(self) -> Any:
        """Members of the user's departments, with who may change whose availability."""
        members = visible_memberships(g.user)
        editable = {m.id for m in members if may_set_availability(g.user, m)}
        return self.render_template(
            "tessera/team.html", members=members, editable=editable, title=_("Team"),
            skill_tags=skill_tags, or_dash=or_dash,
        )

    @expose("/availability/<int:membership_id>", methods=["POST"])
    @has_access
    def availability(self, membership_id: int) -> Any:
        """Mark a member away or available (self, a head of the department, or an admin)."""
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
