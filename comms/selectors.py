"""Read-side queries for communications, shared by pages, the API and the approvals-board socket."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from incidents.models import Incident

from .models import Approval, HoldingTemplate, InboxItem, MediaEnquiry, Message, MessageStatus, MessageVersion
from .permissions import approver_roles


def messages_with_details(queryset: QuerySet[Message]) -> QuerySet[Message]:
    """Everything a message card or the API shows, in a fixed number of queries."""
    return queryset.select_related("incident", "author", "released_by").prefetch_related(
        Prefetch("approvals", queryset=Approval.objects.select_related("approver").order_by("approved_at", "id")),
        "teams", "recipients",
    ).annotate(
        acknowledged_count=Count("inbox_items", filter=Q(inbox_items__acknowledged_at__isnull=False), distinct=True),
        delivered_count=Count("inbox_items", distinct=True),
    )


def incident_messages(incident: Incident) -> QuerySet[Message]:
    return messages_with_details(incident.messages.all()).order_by("-updated_at", "-id")


BOARD_STATES = (MessageStatus.IN_REVIEW, MessageStatus.CHANGES_REQUESTED, MessageStatus.APPROVED, MessageStatus.SCHEDULED)


def board_incidents(user) -> QuerySet[Incident]:
    """Incidents whose messages a person approves, in one query (each board socket asks on every event)."""
    if not user or not user.is_authenticated or not user.is_active:
        return Incident.objects.none()
    return Incident.objects.filter(
        memberships__user=user, memberships__removed_at__isnull=True, memberships__role__in=approver_roles(user)
    ).distinct()


def board_messages(user) -> QuerySet[Message]:
    """The approvals board: messages waiting for someone, and those released in the last day."""
    recent = timezone.now() - dt.timedelta(days=1)
    return messages_with_details(
        Message.objects.filter(incident__in=board_incidents(user)).filter(
            Q(status__in=BOARD_STATES) | Q(status=MessageStatus.RELEASED, released_at__gte=recent)
        )
    ).order_by("updated_at", "id")


def inbox(user) -> QuerySet[InboxItem]:
    return InboxItem.objects.filter(recipient=user).select_related("message", "message__incident").order_by(
        "-delivered_at", "-id"
    )


def media_enquiries(incident: Incident) -> QuerySet[MediaEnquiry]:
    return incident.media_enquiries.select_related("owner", "response_message").order_by("status", "deadline", "-id")


def holding_templates(incident: Incident) -> QuerySet[HoldingTemplate]:
    return HoldingTemplate.objects.filter(active=True).filter(Q(kind=incident.kind) | Q(kind="")).order_by("-kind", "name")


def fill_template(template: HoldingTemplate, *, service_area: str) -> dict[str, str]:
    today = timezone.localdate()
    values = {"date": f"{today.day} {today:%B %Y}", "service_area": service_area}
    return {"subject": _fill(template.subject, values), "body": _fill(template.body, values)}


def _fill(text: str, values: dict[str, str]) -> str:
    # Only the known placeholders are filled: a stray brace in a council's own wording stays as typed.
    return re.sub(r"\{(date|service_area)\}", lambda m: values[m.group(1)], text)


# A word with the space after it: half the tokens of splitting spaces apart, and as readable.
_TOKENS = re.compile(r"\S+\s*|\s+")
# Past this many words on either side, compare line by line: a word-level match is quadratic and a long
# statement edited throughout would otherwise keep a worker busy for minutes.
WORD_DIFF_LIMIT = 3000


def diff(old: str, new: str) -> list[dict[str, str]]:
    """A word-level diff (line-level for very long texts): runs of equal, deleted and inserted text."""
    a, b = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    if max(len(a), len(b)) > WORD_DIFF_LIMIT:
        a, b = (old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True)
    ops: list[dict[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append({"op": "equal", "text": "".join(a[i1:i2])})
            continue
        if i2 > i1:
            ops.append({"op": "delete", "text": "".join(a[i1:i2])})
        if j2 > j1:
            ops.append({"op": "insert", "text": "".join(b[j1:j2])})
    return ops


def version_diff(older: MessageVersion, newer: MessageVersion) -> dict[str, Any]:
    return {
        "from": older.number,
        "to": newer.number,
        "fields": {
            field: diff(getattr(older, field), getattr(newer, field))
            for field in ("audience", "subject", "content_note", "body")
        },
    }
