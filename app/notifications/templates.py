"""Default subject and body templates per event, bilingual (English, then Chinese).

Each entry is `event -> (subject, body)`, both Jinja source rendered in the sandbox of
`app.notifications.render` with `ticket`, `requester`, `event` and `extra` (see
docs/notifications.md). A workflow's own `subject`/`message` replaces them; when that fails
to render, the default of its event is used instead. `GENERIC` serves unknown events.
"""

from __future__ import annotations

FOOTER = """
{{ ticket.url }}
--
Tessera"""

_HEAD = """Ticket {{ ticket.number }}: {{ ticket.subject }}
工单 {{ ticket.number }}：{{ ticket.subject }}
State 状态: {{ ticket.state }} · Priority 优先级: {{ ticket.priority }}
Department 部门: {{ ticket.department }} · Assignee 处理人: {{ ticket.assignee or "-" }}
"""


def _body(lines: str) -> str:
    return _HEAD + "\n" + lines.strip("\n") + "\n" + FOOTER


GENERIC = (
    "[{{ ticket.number }}] {{ ticket.subject }} ({{ event }})",
    _body("Something changed on this ticket ({{ event }}).\n工单有更新（{{ event }}）。"),
)

DEFAULTS: dict[str, tuple[str, str]] = {
    "ticket.created": (
        "[{{ ticket.number }}] New ticket: {{ ticket.subject }} (新工单)",
        _body(
            "A new ticket was created for {{ requester.name or requester.email or '-' }}.\n"
            "新工单已创建，提交人：{{ requester.name or requester.email or '-' }}。"
        ),
    ),
    "ticket.updated": (
        "[{{ ticket.number }}] Ticket updated: {{ ticket.subject }} (工单已更新)",
        _body(
            "The ticket was updated.{% if extra.changes %} Changed: "
            "{{ extra.changes | join(', ') }}.{% endif %}\n"
            "工单已更新。{% if extra.changes %}变更：{{ extra.changes | join('、') }}。{% endif %}"
        ),
    ),
    "ticket.transitioned": (
        "[{{ ticket.number }}] Now {{ ticket.state }}: {{ ticket.subject }} (状态变更)",
        _body(
            "The ticket moved to {{ ticket.state }}"
            "{% if extra.transition %} ({{ extra.transition }}){% endif %}.\n"
            "工单状态已变为 {{ ticket.state }}。"
        ),
    ),
    "ticket.commented": (
        "[{{ ticket.number }}] New comment: {{ ticket.subject }} (新评论)",
        _body(
            "{{ extra.author or 'Someone' }} commented:\n"
            "{{ extra.comment }}\n"
            "工单有新评论。"
        ),
    ),
    "ticket.assigned": (
        "[{{ ticket.number }}] Assigned to {{ ticket.assignee or '-' }}: {{ ticket.subject }}"
        " (工单已分配)",
        _body(
            "The ticket is now assigned to {{ ticket.assignee or 'nobody' }}.\n"
            "工单已分配给 {{ ticket.assignee or '无人' }}。"
        ),
    ),
    "ticket.chased": (
        "[{{ ticket.number }}] Customer chased: {{ ticket.subject }} (客户催单)",
        _body(
            "The customer asked about this ticket again"
            "{% if extra.chases %} ({{ extra.chases }} times so far){% endif %}.\n"
            "客户催单{% if extra.chases %}（已催 {{ extra.chases }} 次）{% endif %}，请尽快处理。"
        ),
    ),
    "ticket.escalated": (
        "[{{ ticket.number }}] Escalated: {{ ticket.subject }} (工单已升级)",
        _body(
            "The ticket was escalated to the heads of {{ ticket.department }}.\n"
            "工单已升级至 {{ ticket.department }} 的负责人。"
        ),
    ),
    "sla.warning": (
        "[{{ ticket.number }}] SLA due soon: {{ ticket.subject }} (SLA 即将到期)",
        _body(
            "The {{ extra.target or 'SLA' }} target is due{% if extra.due_at %} at "
            "{{ extra.due_at }}{% endif %}.\n"
            "SLA 即将到期{% if extra.due_at %}（{{ extra.due_at }}）{% endif %}。"
        ),
    ),
    "sla.breached": (
        "[{{ ticket.number }}] SLA breached: {{ ticket.subject }} (SLA 已超时)",
        _body(
            "The {{ extra.target or 'SLA' }} target was missed{% if extra.due_at %} (due "
            "{{ extra.due_at }}){% endif %}.\n"
            "SLA 已超时{% if extra.due_at %}（到期 {{ extra.due_at }}）{% endif %}。"
        ),
    ),
    "approval.requested": (
        "[{{ ticket.number }}] Approval needed: {{ ticket.subject }} (待审批)",
        _body(
            "{{ extra.requested_by or 'Someone' }} asks for approval"
            "{% if extra.transition %} of {{ extra.transition }}{% endif %}."
            "{% if extra.note %}\nNote: {{ extra.note }}{% endif %}\n"
            "有一项变更等待您审批。"
        ),
    ),
    "approval.decided": (
        "[{{ ticket.number }}] Approval {{ extra.decision or 'decided' }}: {{ ticket.subject }}"
        " (审批结果)",
        _body(
            "The request was {{ extra.decision or 'decided' }}"
            "{% if extra.decided_by %} by {{ extra.decided_by }}{% endif %}."
            "{% if extra.comment %}\nComment: {{ extra.comment }}{% endif %}\n"
            "审批已完成：{{ extra.decision or '已决定' }}。"
        ),
    ),
}

EVENTS = tuple(DEFAULTS)


def default_for(event: str) -> tuple[str, str]:
    """The (subject, body) templates of `event`, or the generic pair."""
    return DEFAULTS.get(event, GENERIC)
