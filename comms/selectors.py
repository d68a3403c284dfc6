"""Every read of communications, shared by pages, the API and the approvals-board socket. The getters
come through comms/policy.py: what a person may not see does not exist for them."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from config.errors import Http404
from config.paging import Keyset
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
    OutboundEmail,
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


# The order of each list, and the key that pages it (config/paging.py).
# Keyed on what never changes (ids grow with creation): a message edited or approved while someone reads
# the list must not jump past their place and vanish from the pages they have not reached.
MESSAGES = Keyset("-id", size=25)  # the newest first
BOARD = Keyset("id")  # the longest standing first
INBOX = Keyset("-delivered_at", "-id")
DELIVERIES = Keyset("id")


def _count(queryset: QuerySet) -> Subquery:
    """How many of the related rows, counted for each row a page returns (a join and GROUP BY would
    count every message of the incident before the page was cut)."""
    return Subquery(queryset.order_by().values("message").annotate(n=Count("*")).values("n")[:1])


def messages_with_details(queryset: QuerySet[Message]) -> QuerySet[Message]:
    """Everything a message card or the API shows, in a fixed number of queries."""
    current_author = MessageVersion.objects.filter(message=OuterRef("pk"), number=OuterRef("version"))
    delivered = InboxItem.objects.filter(message=OuterRef("pk"))
    return queryset.select_related("incident", "author", "released_by").prefetch_related(
        Prefetch("approvals", queryset=Approval.objects.select_related("approver").order_by("approved_at", "id")),
        "teams", "recipients",
    ).annotate(
        acknowledged_count=Coalesce(_count(delivered.filter(acknowledged_at__isnull=False)), 0),
        delivered_count=Coalesce(_count(delivered), 0),
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


def delivery_counts(message: Message) -> list[tuple[str, int]]:
    """How many of a message's emails are in each state, in words: the whole picture in one query, while
    the table beside it shows a page."""
    labels = dict(OutboundEmail._meta.get_field("state").flatchoices)
    counts = message.emails.order_by().values_list("state").annotate(n=Count("id"))
    return [(str(labels.get(state, state)), n) for state, n in sorted(counts)]


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
# The most work one comparison may do (old tokens × new tokens, after the common start and end are set
# aside). Matching is quadratic at worst (text of many repeated lines): this keeps any diff, of any two
# texts Harbour accepts, well under a second, whoever asks for it.
DIFF_BUDGET = 1_000_000


def _trimmed(a: list[str], b: list[str]) -> tuple[int, int]:
    """How many tokens the two share at the start, and then at the end: set aside in linear time."""
    start = 0
    while start < len(a) and start < len(b) and a[start] == b[start]:
        start += 1
    end = 0
    while end < len(a) - start and end < len(b) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    return start, end


def diff_detailed(old: str, new: str) -> tuple[list[dict[str, str]], str]:
    """Runs of equal, deleted and inserted text, and how closely they were compared: word by word, line by
    line when the changed stretch is too long for words, or "whole" when even its lines are too many, in
    which case the changed stretch is shown as removed and added as a whole."""
    old, new = old or "", new or ""
    precision = "whole"
    for level, split in (("words", _TOKENS.findall), ("lines", lambda t: t.splitlines(keepends=True))):
        a, b = split(old), split(new)
        start, end = _trimmed(a, b)
        middle_a, middle_b = a[start:len(a) - end], b[start:len(b) - end]
        if len(middle_a) * len(middle_b) <= DIFF_BUDGET:
            precision = level
            break
    if precision == "whole":
        middle_a, middle_b = ["".join(middle_a)], ["".join(middle_b)]
    ops: list[dict[str, str]] = []

    def add(op: str, tokens: list[str]) -> None:
        text = "".join(tokens)
        if text:
            ops.append({"op": op, "text": text})

    add("equal", a[:start])
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=middle_a, b=middle_b, autojunk=False).get_opcodes():
        if tag == "equal":
            add("equal", middle_a[i1:i2])
            continue
        add("delete", middle_a[i1:i2])
        add("insert", middle_b[j1:j2])
    add("equal", a[len(a) - end:] if end else [])
    return ops, precision


def diff(old: str, new: str) -> list[dict[str, str]]:
    return diff_detailed(old, new)[0]


def version_diff(older: MessageVersion, newer: MessageVersion) -> dict[str, Any]:
    fields, precision = {}, {}
    for field in ("audience", "subject", "content_note", "body"):
        fields[field], precision[field] = diff_detailed(getattr(older, field), getattr(newer, field))
    return {"from": older.number, "to": newer.number, "fields": fields, "precision": precision}
