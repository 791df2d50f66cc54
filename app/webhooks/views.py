"""The webhook screens of the /ops console: what `app.ops` adds to its generated table views.

- Endpoints: create, edit, delete; the URL must pass the SSRF rule (unless private addresses
  are allowed); events are chosen from `EVENTS`; the secret is never shown back: left blank
  on create, one is generated and shown once; left blank on edit, it stays. Re-activating a
  disabled endpoint clears its failure count. "Send test" queues a `webhook.test` delivery.
- Deliveries: the log, read-only, newest first, with status, code, duration, attempts, error.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from flask import current_app, flash
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import delete, select
from wtforms import Field, Form, PasswordField, SelectMultipleField, ValidationError, widgets
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import InputRequired, Length, Optional

from app.extensions import db
from app.webhooks import EVENTS, send_test
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.webhooks.ssrf import check_url

if TYPE_CHECKING:
    from flask_admin.contrib.sqla import ModelView as _ViewBase
else:
    _ViewBase = object

__all__ = ["DeliveryLogAdmin", "EndpointAdmin"]

SECRET_BYTES = 32


class SecretField(PasswordField):
    """A new secret for the endpoint: never rendered back; left blank, the secret stays."""

    def populate_obj(self, obj: Any, name: str) -> None:
        if self.data:
            obj.secret = self.data


def public_url(form: Form, field: Field) -> None:
    """Refuse a URL the SSRF rule forbids (private addresses allowed by configuration)."""
    allow_private = bool(current_app.config.get("TESSERA_WEBHOOK_ALLOW_PRIVATE", False))
    error = check_url(str(field.data or ""), allow_private)
    if error is not None:
        raise ValidationError(error)


def _events_field() -> SelectMultipleField:
    return SelectMultipleField(
        lazy_gettext("Events"),
        choices=[SelectChoice(name, name) for name in EVENTS],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        description=lazy_gettext("The events POSTed to this endpoint."),
    )


def _secret_field() -> SecretField:
    return SecretField(
        lazy_gettext("Secret"),
        validators=[Optional(), Length(min=16, max=200)],
        description=lazy_gettext(
            "Signs every delivery (HMAC-SHA256). Leave blank: on a new endpoint one is "
            "generated and shown once; on an existing one the secret stays."
        ),
    )


class EndpointAdmin(_ViewBase):
    """Webhook endpoints: validated URL, events from the list, a secret never shown back."""

    column_list = ("name", "url", "events", "active", "failures", "disabled_at", "created_at")
    column_details_exclude_list = ("secret",)
    column_export_exclude_list = ("secret",)
    column_formatters = {"events": lambda view, context, model, name: ", ".join(model.events)}
    form_columns = ("name", "url", "events", "active", "new_secret")
    form_args = {
        "url": {
            "label": lazy_gettext("URL"),
            "validators": [InputRequired(), Length(max=2000), public_url],
        }
    }

    form_extra_fields = {"events": _events_field(), "new_secret": _secret_field()}
    form_widget_args = {"events": {"class": "list-unstyled"}}

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        """Generate a missing secret, keep events in list order, clear a lifted disable."""
        if not model.secret:
            model.secret = secrets.token_urlsafe(SECRET_BYTES)
            form.generated_secret = model.secret
        model.events = [name for name in EVENTS if name in (model.events or [])]
        if model.active and model.disabled_at is not None:
            model.disabled_at = None
            model.failures = 0
        if model.failures is None:
            model.failures = 0
        super().on_model_change(form, model, is_created)

    def after_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        """Show a generated secret, once."""
        generated = getattr(form, "generated_secret", None)
        if generated:
            flash(
                _("The secret of %(name)s, shown only now: %(secret)s",
                  name=model.name, secret=generated),
                "warning",
            )
        super().after_model_change(form, model, is_created)

    def on_model_delete(self, model: Any) -> None:
        """Delete the endpoint's deliveries too (SQLite does not cascade by itself)."""
        db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == model.id))
        super().on_model_delete(model)

    @action(
        "send_test",
        lazy_gettext("Send test"),
        lazy_gettext("Send a webhook.test delivery to the selected endpoints?"),
    )
    def action_send_test(self, ids: Any) -> None:
        """Queue one `webhook.test` delivery to each selected active endpoint."""
        from app.ops import row_id  # app.ops imports this module

        numbers = [number for number in map(row_id, ids) if number is not None]
        endpoints = db.session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.id.in_(numbers))
        ).all()
        sent = 0
        for endpoint in endpoints:
            if endpoint.active and endpoint.disabled_at is None and endpoint.secret:
                send_test(db.session, endpoint)
                sent += 1
        db.session.commit()
        flash(
            _("Test deliveries queued: %(count)d (inactive endpoints are skipped).", count=sent),
            "success",
        )


class DeliveryLogAdmin(_ViewBase):
    """The delivery log: newest first; what was sent is in the details."""

    column_list = (
        "id", "created_at", "endpoint", "event", "key", "status", "response_code",
        "duration_ms", "attempts", "last_error", "delivered_at",
    )
    column_labels = {
        "response_code": lazy_gettext("Code"),
        "duration_ms": lazy_gettext("Duration (ms)"),
        "last_error": lazy_gettext("Error"),
    }
    column_default_sort = ("id", True)
    column_filters = ("status", "event")
    column_searchable_list = ("key",)
