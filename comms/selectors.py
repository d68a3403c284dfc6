"""Every read of communications, shared by pages, the API and the approvals-board socket. The getters
come through comms/policy.py: what a person may not see does not exist for them."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from config.errors import Http404
from incidents.models import Incident
from incidents.rules import Actor, parse_id

from .models import (
    WAITING,
    Approval,
    HoldingTemplate,
    InboxItem,
    MediaEnquiry,
    Message,
    MessageStatus,
    MessageVersion,
)
from .policy import APPROVERS, Action, enquiries, inbox, incident_comms, messages


def incident_for(actor: Actor, incident_id, action: Action = Action.VIEW) -> Incident:
    """The incident's communications, as this person may see them (or use the form for `action`)."""
    return incident_comms.fetch(actor, action, incident_id, state=False)


def message_for(actor: Actor, message_id, action: Action = Action.VIEW) -> Message:
    return messages.fetch(actor, action, message_id, Message.objects.select_related("incident"), state=False)


def enquiry_for(actor: Actor, enquiry_id, action: Action = Action.VIEW) -> MediaEnquiry:
    return enquiries.fetch(actor, action, enquiry_id, MediaEnquiry.objects.select_related("incident"),
                                 state=False)


def inbox_item_for(actor: Actor, message_id) -> InboxItem:
    """A briefing in the person's own inbox, by its message's id."""
    item = inbox.restrict(actor, Action.VIEW, InboxItem.objects.select_related("message", "message__incident")).filter(
        message_id=parse_id(message_id) or 0).first()
    if item is None:
        raise Http404(inbox.not_found)
    return item


def messages_with_details(queryset: QuerySet[Message]) -> QuerySet[Message]:
    """Everything a message card or the API shows, in a fixed number of queries."""
    current_author = MessageVersion.objects.filter(message=OuterRef("pk"), number=OuterRef("version"))
    return queryset.select_related("incident", "author", "released_by").prefetch_related(
        Prefetch("approvals", queryset=Approval.objects.select_related("approver").order_by("approved_at", "id")),
        "teams", "recipients",
    ).annotate(
        acknowledged_count=Count("inbox_items", filter=Q(inbox_items__acknowledged_at__isnull=False), distinct=True),
        delivered_count=Count("inbox_items", distinct=True),
        current_version_author_id=Subquery(current_author.values("author_id")[:1]),
    )


def incident_messages(incident: Incident) -> QuerySet[Message]:
    return messages_with_details(incident.messages.all()).order_by("-updated_at", "-id")


def board_incidents(actor: Actor) -> QuerySet[Incident]:
    """Incidents whose messages a person approves, in one query."""
    return incident_comms.restrict(actor, APPROVERS)


def board_messages(actor: Actor) -> QuerySet[Message]:
    """The approvals board: messages waiting for someone, and those released in the last day."""
    recent = timezone.now() - dt.timedelta(days=1)
    return messages_with_details(
        messages.restrict(actor, Action.APPROVE).filter(
            Q(status__in=WAITING) | Q(status=MessageStatus.RELEASED, released_at__gte=recent)
        )
    ).order_by("updated_at", "id")


def inbox_items(actor: Actor) -> QuerySet[InboxItem]:
    """The person's own briefings, newest first."""
    return inbox.restrict(actor, Action.VIEW).select_related("message", "message__incident").order_by(
        "-delivered_at", "-id"
    )


def unread_count(actor: Actor) -> int:
    return inbox.restrict(actor, Action.VIEW).filter(acknowledged_at__isnull=True).count()


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
