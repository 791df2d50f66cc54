"""Console views (Admin only): departments and their memberships."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect
from flask_appbuilder import ModelView
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from wtforms.validators import DataRequired, NumberRange, Regexp

from app.extensions import db
from app.models import Availability, Department, MemberRole, Membership
from app.views.display import minute, or_dash, skill_tags
from app.views.fields import TagListField, choice_field

ROLE_CHOICES = [(MemberRole.AGENT.value, "Agent"), (MemberRole.HEAD.value, "Department head")]
AVAILABILITY_CHOICES = [
    (Availability.AVAILABLE.value, "Available"),
    (Availability.AWAY.value, "Away"),
]


def _membership_form_fields() -> dict[str, object]:
    return {
        "role": choice_field("Role", ROLE_CHOICES),
        "availability": choice_field(
            "Availability", AVAILABILITY_CHOICES, "Away members get no new assignments."
        ),
        "skills": TagListField(
            "Skills", description="Comma-separated, e.g. vip, english, printer, refund."
        ),
    }


class MembershipView(ModelView):
    """Who works in which department, with skills, capacity and availability."""

    datamodel = SQLAInterface(Membership)
    route_base = "/memberships"
    list_title = "Memberships"
    list_columns = ["user", "department", "role", "skills", "capacity", "availability"]
    show_columns = list_columns + ["updated_at"]
    add_columns = edit_columns = list_columns
    search_columns = ["user", "department", "role", "availability", "capacity"]
    label_columns = {"capacity": "Capacity (max open tickets)"}
    formatters_columns = {"skills": skill_tags, "updated_at": minute}
    validators_columns = {
        "user": [DataRequired()],
        "department": [DataRequired()],
        "capacity": [NumberRange(min=0, max=1000)],
    }
    add_form_extra_fields = _membership_form_fields()
    edit_form_extra_fields = _membership_form_fields()
    base_order = ("department_id", "asc")

    @action("mark_away", "Mark away", "Mark the selected members away?", "fa-moon-o")
    def mark_away(self, items: Membership | list[Membership]) -> Any:
        return self._set_availability(items, Availability.AWAY)

    @action("mark_available", "Mark available", "", "fa-sun-o")
    def mark_available(self, items: Membership | list[Membership]) -> Any:
        return self._set_availability(items, Availability.AVAILABLE)

    def _set_availability(
        self, items: Membership | list[Membership], availability: Availability
    ) -> Any:
        rows = [row for row in (items if isinstance(items, list) else [items]) if row]
        for row in rows:
            row.availability = availability.value
        db.session.commit()
        flash(f"{len(rows)} member(s) marked {availability.value}.", "success")
        return redirect(self.get_redirect())


class DepartmentView(ModelView):
    """Departments own queues; heads approve their workflow changes."""

    datamodel = SQLAInterface(Department)
    route_base = "/departments"
    list_title = "Departments"
    list_columns = ["key", "name", "email", "created_at"]
    show_columns = ["key", "name", "description", "email", "created_at"]
    add_columns = edit_columns = ["key", "name", "description", "email"]
    search_columns = ["key", "name", "email"]
    description_columns = {"key": "Stable identifier used by definitions, e.g. billing."}
    formatters_columns = {"email": or_dash, "description": or_dash, "created_at": minute}
    validators_columns = {
        "key": [
            DataRequired(),
            # \Z, not $: WTForms matches with re.match, and $ also matches before a final newline.
            Regexp(r"^[a-z][a-z0-9_-]{1,63}\Z", message="Use a lowercase slug, e.g. billing."),
        ],
        "name": [DataRequired()],
    }
    related_views = [MembershipView]
    base_order = ("name", "asc")
