"""Every read of communications, shared by pages, the API and the approvals-board socket: messages,
boards, deliveries, inboxes, media enquiries, versions and their differences, and how many have read a
briefing. The getters come through comms/policy.py: what a person may not see does not exist for them.

What a release still needs is comms/progress.py's; what the wing adds to the spine's Now page, search
and summary, comms/contributions.py's."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import replace
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone

from core import charts, small_counts
from core.actors import Actor
from core.errors import Http404
from core.models import Email, Notice
from core.outbox import FAILED
from core.paging import Keyset
from core.policy import parse_id
from core.times import uk_time
from incidents.models import Incident
from people.models import User

from .models import (
    UNDELIVERED,
    WAITING,
    Approval,
    HoldingTemplate,
    IdentifierPartConfirmation,
    InboxItem,
    MediaEnquiry,
    Message,
    MessageStatus,
    MessageVersion,
)
from .policy import APPROVERS, Action, enquiries, inbox, incident_comms, messages, undelivered
from .releases import deliveries


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


# The order of each list, and the key that pages it (core/paging.py).
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
        Prefetch("part_confirmations",
                 queryset=IdentifierPartConfirmation.objects.select_related("confirmed_by", "decision")),
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




def deliveries_of(message: Message) -> QuerySet[Email]:
    """The message's own emails to its recipients (not the emails to staff about it: held, not delivered),
    in the order they were written."""
    return deliveries(message).select_related("recipient").order_by(*DELIVERIES.fields)


def delivery_counts(message: Message) -> list[tuple[str, int]]:
    """How many of a message's emails are in each state, in words: the whole picture in one query, while
    the table beside it shows a page."""
    labels = dict(Email._meta.get_field("state").flatchoices)
    counts = deliveries_of(message).order_by().values_list("state").annotate(n=Count("id"))
    return [(str(labels.get(state, state)), n) for state, n in sorted(counts)]


def inbox_items(actor: Actor) -> QuerySet[InboxItem]:
    """The person's own briefings, newest first."""
    return inbox.restrict(actor, Action.VIEW).select_related("message", "message__incident").order_by(
        "-delivered_at", "-id"
    )


def names_incident(actor: Actor, item: InboxItem) -> bool:
    """May the person be told which incident a briefing in their inbox is about? Not one of a restricted
    incident they are not in (comms/policy.py, inbox SEE_INCIDENT)."""
    return inbox.allows(actor, Action.SEE_INCIDENT, item)


def unread_count(actor: Actor) -> int:
    return inbox.restrict(actor, Action.VIEW).filter(acknowledged_at__isnull=True).count()


def menu_offers(request) -> dict[str, int | None]:
    """The header's menu (core/wings.py): the Inbox for everyone, with how many briefings wait to be read,
    and the approvals board for those who approve in some incident. One query."""
    user = request.user
    # The person's own unread items, counted in a subquery (grouped by their one recipient).
    unread = (inbox.restrict(user, Action.VIEW).filter(acknowledged_at__isnull=True).order_by()
              .values("recipient").annotate(n=Count("id")).values("n"))
    row = User.objects.filter(pk=user.pk).annotate(
        approves=Exists(board_incidents(user)),
        unread=Coalesce(Subquery(unread[:1], output_field=IntegerField()), Value(0)),
    ).values("approves", "unread").first() or {}
    offered: dict[str, int | None] = {"inbox": row.get("unread") or None}  # the count only when there is one
    if row.get("approves"):
        offered["approvals"] = None
    return offered


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


DIFF_FIELDS = ("audience", "subject", "content_note", "body")


def version_diff(older: MessageVersion, newer: MessageVersion) -> dict[str, Any]:
    fields, precision = {}, {}
    for field in DIFF_FIELDS:
        fields[field], precision[field] = diff_detailed(getattr(older, field), getattr(newer, field))
    return {"from": older.number, "to": newer.number, "fields": fields, "precision": precision}


def version_changes(older: MessageVersion, newer: MessageVersion) -> list[dict[str, Any]]:
    """The comparison as a person reads it: each part under its name ("Content note"), the audience by its
    label ("Press statement"), never by its code. The API's version_diff keeps the stored values."""
    rows = []
    for field in DIFF_FIELDS:
        old, new = getattr(older, field), getattr(newer, field)
        if field == "audience":
            old, new = older.get_audience_display(), newer.get_audience_display()
        ops, precision = diff_detailed(old, new)
        label = str(MessageVersion._meta.get_field(field).verbose_name)
        rows.append({"field": field, "label": label[:1].upper() + label[1:], "ops": ops, "precision": precision})
    return rows


def undelivered_for(person: Actor, message: Message) -> dict[str, Any] | None:
    """What a message's page says of its emails that could not be sent, to someone who may see its
    deliveries or was told: how many, whether it is theirs to mark seen, whether they may try again."""

    notice = undelivered.restrict(person, Action.VIEW, Notice.objects.filter(
        kind=UNDELIVERED, about_id=message.pk, closed_at__isnull=True)).first()
    sees = messages.allows(person, Action.SEE_DELIVERY, message)
    if notice is None and not sees:
        return None
    failed = deliveries_of(message).filter(state=FAILED).count() if message.is_released else 0
    if not failed and notice is None:
        return None
    return {"failed": failed, "notice": notice, "can_retry": messages.allows(person, Action.RETRY_DELIVERY, message)}


# --- how many have read a briefing, over time (issue 11, point 7) ---------------------------------------------

# Reads are counted by the hour for the first three days after release, then by the day: a picture of a
# few dozen steps either way, and the table beneath it stays short.
READS_BY_HOUR_FOR = dt.timedelta(days=3)


def reads_over_time(message: Message, now: dt.datetime | None = None) -> tuple[list[tuple[dt.datetime, int]], str]:
    """How many people had read the released message by the end of each hour (or day) in which someone
    read it, oldest first, counted in the database (one query, however many readers): counts only, never
    who. And the step: "hour" or "day"."""
    now = now or timezone.now()
    step = "hour" if now - message.released_at <= READS_BY_HOUR_FOR else "day"
    zone = timezone.get_current_timezone()
    rows = (InboxItem.objects.filter(message=message, acknowledged_at__isnull=False)
            .annotate(bucket=Trunc("acknowledged_at", step, tzinfo=zone)).order_by()
            .values("bucket").annotate(n=Count("id")).order_by("bucket").values_list("bucket", "n"))
    points, total = [], 0
    for bucket, n in rows:
        total += n
        local = bucket.astimezone(zone)
        end = (local + dt.timedelta(hours=1)) if step == "hour" else dt.datetime.combine(
            local.date() + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        points.append((min(end, now), total))
    return points, step


def reads_picture(message: Message):
    """The picture of `reads_over_time` (a core.charts Chart), from release to now, out of how many it
    was sent to (the message as messages_with_details annotates it); None for a briefing sent to fewer
    than HARBOUR_SMALL_COUNT people, whose picture would say when each of them read it.

    Each total is a part of the group it went to (core/small_counts.py), withheld as the page's count
    is. A run of withheld totals is one step, so the number of hours in which someone read cannot be
    counted off the table: the first run (before as many as HARBOUR_SMALL_COUNT have read it) is drawn from
    the release, so when the first of them read it is not shown either; a later run starts when it did."""

    sent_to = getattr(message, "delivered_count", None)
    if sent_to is None or sent_to < small_counts.threshold():
        return None
    now = timezone.now()
    raw, step = reads_over_time(message, now)
    points: list[tuple] = []
    for at, n in raw:
        shown = small_counts.part(n, sent_to)
        if points and shown.suppressed and points[-1][1].words == shown.words:
            continue  # the same words as the step before: one step
        points.append((at, shown, None))
    if points and points[0][1].suppressed:  # from the release: nobody's first read is timed
        first = points[0][1]
        until = f"Until {uk_time(points[1][0])}" if len(points) > 1 else "Until now"
        points[0] = (message.released_at, replace(first, low=0), until)
    return charts.step_chart(
        ident=f"reads-chart-{message.pk}", title=f"People who have read “{message.subject}”, by the {step}",
        points=points, start=message.released_at, end=now, out_of=sent_to,
        value_header="Have read it", when_header="By the end of", counted="people",
        empty="Nobody has said they have read it yet.")
