"""Every read of communications, shared by pages, the API and the approvals-board socket. The getters
come through comms/policy.py: what a person may not see does not exist for them."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Trunc
from django.urls import reverse
from django.utils import timezone

from core import charts, small_counts
from core.errors import Http404
from core.models import Email, Notice
from core.outbox import FAILED
from core.paging import Keyset
from core.times import uk_day_time, uk_time
from core.wings import NowItem, OpenAction, SearchHit
from incidents.models import Incident, MemberRole, User
from incidents.now import now_capped, now_more, only_visible_incidents
from incidents.rules import Actor, parse_id
from incidents.search import TextSearch, search_snippet, text_search

from .models import (
    BEFORE_RELEASE,
    DELIVERY_EMAIL,
    STAFF_BRIEFING_AUDIENCES,
    UNDELIVERED,
    WAITING,
    Approval,
    EnquiryStatus,
    HoldingTemplate,
    IdentifierPartConfirmation,
    InboxItem,
    MediaEnquiry,
    Message,
    MessageStatus,
    MessageVersion,
)
from .policy import (
    APPROVAL_LABELS,
    APPROVERS,
    COMMAND,
    COMMUNICATIONS,
    FAMILY_RECORDERS,
    OVERRIDABLE_GATES,
    OVERRIDERS,
    PART_CONFIRMER_ROLES,
    WAITING_FOR,
    Action,
    ApprovalSide,
    Gate,
    approvals_by_side,
    enquiries,
    inbox,
    incident_comms,
    messages,
    overridable,
    undelivered,
)
from .services import deliveries, failing_gates, gate_facts


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


# --- what a release still needs (issue 11): a board card, the message page and the API read the same --------
# The rules stay where they are: the gates and their reasons are comms/services.py's `failing_gates` (the
# same call the release service and the worker make), the approvals each scope needs and who may override
# are comms/policy.py's. This adds only what a person needs to act: who holds each approval, the step that
# clears each gate and where to take it, and who may release anyway.


@dataclass(frozen=True)
class ApprovalHeld:
    """One approval a message needs, and who gave it for the current version (None: still needed)."""

    side: ApprovalSide
    by: User | None

    @property
    def label(self) -> str:
        return APPROVAL_LABELS[self.side]

    @property
    def held(self) -> bool:
        return self.by is not None


@dataclass(frozen=True)
class Named:
    """Someone named beside a step: "Alice Adams (lead)"."""

    username: str
    name: str
    role: str

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"


def either(people: tuple[Named, ...] | list[Named]) -> str:
    """"Alice Adams (lead) or Tom Tactical (tactical lead)"."""
    words = [str(p) for p in people]
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


@dataclass(frozen=True)
class Step:
    """What clears a gate and where to take it. `you_may`: the person looking may take it (otherwise the
    page names `who` may, rather than link to a refusal)."""

    label: str
    url: str
    you_may: bool
    who: tuple[Named, ...] = ()

    @property
    def who_names(self) -> str:
        return either(self.who)


@dataclass(frozen=True)
class Blocker:
    """A gate that stops the release now, with the release service's own reason for it."""

    code: Gate
    reason: str
    step: Step
    override_by: tuple[Named, ...]  # who may release past it, giving a reason; empty when nobody may

    @property
    def waiting_for(self) -> str:
        return WAITING_FOR[self.code]

    @property
    def overridable(self) -> bool:
        return self.code in OVERRIDABLE_GATES

    @property
    def override_names(self) -> str:
        return either(self.override_by) or "the incident's lead or tactical lead"


@dataclass(frozen=True)
class ReleaseProgress:
    approvals: tuple[ApprovalHeld, ...]
    blocked_by: tuple[Blocker, ...]
    finished: bool  # released or withdrawn: nothing is waiting
    overridable: bool  # every gate left may be overridden, so the lead or tactical lead could release it now
    you_may_override: bool  # …and the person looking is one of them

    @property
    def ready(self) -> bool:
        """Nothing stops its release now (or, if scheduled, at its embargo time)."""
        return not self.finished and not self.blocked_by

    @property
    def gates(self) -> tuple[Blocker, ...]:
        """What blocks it besides approval, which a card shows as its approvals line instead."""
        return tuple(b for b in self.blocked_by if b.code != Gate.APPROVAL_REQUIRED)

    @property
    def approved_by(self) -> str:
        """"Cora Comms (communications) and Tom Tactical (command)"; "" when nobody has approved yet."""
        held = [a for a in self.approvals if a.held]
        if len(self.approvals) == 1:
            return held[0].by.display_name if held else ""
        return " and ".join(f"{a.by.display_name} ({a.label.lower()})" for a in held)


def approvals_held(message: Message, approvals: Iterable[Approval] | None = None) -> tuple[ApprovalHeld, ...]:
    """Which approvals the current version has and which it still needs, by the one rule of approval
    (comms/policy.py, approvals_by_side): every side is held exactly when the release counts the message
    approved."""
    by = approvals_by_side(message, message.approvals.all() if approvals is None else approvals)
    return tuple(ApprovalHeld(side, held.approver if held else None) for side, held in by.items())


class IncidentFacts:
    """What the steps of one incident's messages need, each read once (and only if needed) however many
    of its messages a board or a list shows."""

    def __init__(self, incident: Incident):

        self.incident = incident
        self.gates = gate_facts(incident)
        self._briefing: Any = ...
        self._holders: dict[frozenset[str], tuple[Named, ...]] = {}

    def staff_briefing(self) -> Message | None:
        """The staff briefing on its way, if there is one: finishing it clears the staff gate."""
        if self._briefing is ...:
            self._briefing = self.incident.messages.filter(
                audience__in=STAFF_BRIEFING_AUDIENCES, status__in=BEFORE_RELEASE
            ).order_by("-updated_at", "-id").only("pk", "subject", "status", "incident_id").first()
        return self._briefing

    def holders(self, roles: frozenset[str]) -> tuple[Named, ...]:
        """The active members in these roles, the strategic lead first."""
        if roles not in self._holders:
            order = {role: n for n, role in enumerate(MemberRole.values)}
            found = sorted(self.incident.memberships.active().filter(role__in=sorted(roles)).select_related("user"),
                           key=lambda m: (order[m.role], m.user.display_name))
            self._holders[roles] = tuple(
                Named(m.user.username, m.user.display_name, m.get_role_display().split(" (")[0].lower())
                for m in found)
        return self._holders[roles]


def _step(code: Gate, message: Message, viewer: Actor, facts: IncidentFacts) -> Step:
    here = reverse("message-detail", args=[message.pk])
    incident = message.incident
    if code == Gate.APPROVAL_REQUIRED:
        if message.status == MessageStatus.DRAFT:
            return Step("Submit it for approval", f"{here}#message-actions",
                        messages.allows(viewer, Action.SUBMIT, message))
        if message.status == MessageStatus.CHANGES_REQUESTED:
            return Step("Make the changes asked for, then submit it again", reverse("message-edit", args=[message.pk]),
                        messages.allows(viewer, Action.EDIT, message))
        needed = " and ".join(a.label.lower() for a in approvals_held(message) if not a.held)
        return Step(f"Approve it (still needed: {needed})" if needed else "Approve it", f"{here}#message-actions",
                    messages.allows(viewer, Action.APPROVE, message))
    if code == Gate.IDENTIFIER_FOUND:
        return Step("Edit the message to take out the protected identifier",
                    reverse("message-edit", args=[message.pk]), messages.allows(viewer, Action.EDIT, message))
    if code == Gate.IDENTIFIER_PART_FOUND:
        return Step("Confirm that it does not identify the child or family, giving a reason",
                    f"{here}#confirm-parts", messages.allows(viewer, Action.CONFIRM_IDENTIFIER_PARTS, message),
                    facts.holders(PART_CONFIRMER_ROLES))
    if code == Gate.STAFF_NOT_BRIEFED:
        briefing = facts.staff_briefing()
        if briefing is not None:  # in the same incident, so anyone who sees this message may open it
            return Step(f"See the staff briefing “{briefing.subject}” through to release "
                        f"(it is {briefing.get_status_display().lower()})",
                        reverse("message-detail", args=[briefing.pk]), True)
        return Step("Draft the staff briefing", reverse("message-new", args=[incident.pk]) + "?audience=all_staff",
                    incident_comms.allows(viewer, Action.DRAFT, incident))
    if code == Gate.FAMILY_NOT_INFORMED:
        return Step("Record that the family has been told",
                    reverse("comms-home", args=[incident.pk]) + "#family_informed_at",
                    incident_comms.allows(viewer, Action.RECORD_FAMILY_INFORMED, incident),
                    facts.holders(FAMILY_RECORDERS))
    raise ValueError(f"No step is known for the gate {code!r}.")  # comms/policy.py: WAITING_FOR names them all


def release_progress(message: Message, viewer: Actor, cache: dict[int, Any] | None = None) -> ReleaseProgress:
    """What the message has, what it still needs before it can be released, and what the person looking can
    do about it. Pass one `cache` for a list of messages: each incident's facts are then read once."""

    approvals = approvals_held(message)
    if message.is_finished:
        return ReleaseProgress(approvals, (), finished=True, overridable=False, you_may_override=False)
    cache = {} if cache is None else cache
    if message.incident_id not in cache:
        cache[message.incident_id] = IncidentFacts(message.incident)
    facts = cache[message.incident_id]
    failing = failing_gates(message, facts.gates)
    if message.status == MessageStatus.SCHEDULED:
        # At its embargo time the worker releases past the gates overridden when it was scheduled.
        failing = [(code, reason) for code, reason in failing if code not in message.overridden_gates]
    blockers = tuple(
        Blocker(code, reason, _step(code, message, viewer, facts),
                facts.holders(OVERRIDERS) if code in OVERRIDABLE_GATES else ())
        for code, reason in failing
    )
    can_override = overridable([b.code for b in blockers])
    you_may = can_override and messages.allows(viewer, Action.OVERRIDE_GATE, message) and (
        messages.allows(viewer, Action.RELEASE, message) or messages.allows(viewer, Action.SCHEDULE, message))
    return ReleaseProgress(approvals, blockers, finished=False, overridable=can_override, you_may_override=you_may)


def with_release_progress(items: list[Message], viewer: Actor) -> list[Message]:
    """Each message with its `release_progress`, for a board: a few reads per incident, none per card."""
    cache: dict[int, Any] = {}
    for message in items:
        message.release_progress = release_progress(message, viewer, cache)
    return items


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


# --- what needs me now (incidents.selectors.now_for) -------------------------------------------------------

# A media enquiry shows as needing its owner this long before its deadline.
ENQUIRY_AHEAD = dt.timedelta(hours=1)


def now_items(person: Actor, at: dt.datetime) -> list[NowItem]:
    """Messages waiting for the person's approval, approved messages they can release (and what stops each),
    briefings they have not read, and media enquiries they own that are overdue or due within the hour.
    What is held and what blocks come from `approvals_held` and `release_progress`, as on the boards."""
    items: list[NowItem] = []
    # Whether each waits on this person is worked out below, so the count beyond the limit is "up to".
    waiting, more_waiting = now_capped(messages_with_details(
        messages.restrict(person, Action.APPROVE).filter(status__in=[MessageStatus.IN_REVIEW, MessageStatus.APPROVED])
    ).order_by("updated_at", "id"))
    cache: dict[int, Any] = {}
    for message in waiting:
        allowed = messages.allowed_actions(person, message)
        url = reverse("message-detail", args=[message.pk])
        if message.status == MessageStatus.IN_REVIEW and Action.APPROVE in allowed:
            live = [a for a in message.approvals.all() if a.voided_at is None and a.version == message.version]
            if any(a.approver_id == person.pk for a in live):
                continue
            held = approvals_held(message, live)
            mine = Approval(message=message, version=message.version, approver=person,
                            as_comms=messages.qualifies(person, COMMUNICATIONS, message),
                            as_command=messages.qualifies(person, COMMAND, message))
            if sum(a.held for a in approvals_held(message, [*live, mine])) <= sum(a.held for a in held):
                continue  # theirs would add nothing the message still needs
            items.append(NowItem(
                kind="approval", title=message.subject, incident=message.incident, url=url,
                why=f"Waiting for your approval. {approvals_line(held)}.", since=message.updated_at))
        elif message.status == MessageStatus.APPROVED and Action.RELEASE in allowed:
            progress = release_progress(message, person, cache)
            if progress.ready:
                why = "Approved and ready for you to release."
            else:
                why = "Approved, but waiting for " + " and ".join(b.waiting_for for b in progress.blocked_by) + "."
                if progress.you_may_override:
                    why += " You may release it anyway, giving a reason."
                elif any(b.code == Gate.IDENTIFIER_PART_FOUND and b.step.you_may for b in progress.blocked_by):
                    why += " You can confirm it, giving a reason."
            items.append(NowItem(kind="release", title=message.subject, incident=message.incident, url=url,
                                 why=why, since=message.updated_at))
    items += now_more(more_waiting, "messages to approve or release", reverse("approvals-board"),
                      "the approvals board", at_most=True)
    unread, more_unread = now_capped(inbox.restrict(person, Action.VIEW).filter(acknowledged_at__isnull=True)
                                     .select_related("message", "message__incident").order_by("delivered_at", "id"))
    for item in unread:
        items.append(NowItem(
            kind="briefing", title=item.message.subject, incident=item.message.incident,
            url=reverse("inbox-item", args=[item.message_id]),
            why=f"A briefing sent to you {uk_day_time(item.delivered_at)}, not yet marked as read.",
            since=item.delivered_at))
    items += now_more(more_unread, "briefings not yet read", reverse("inbox"), "your briefings")
    owned, more_owned = now_capped(enquiries.restrict(person, Action.VIEW)
                                   .filter(owner=person, status=EnquiryStatus.OPEN, deadline__lte=at + ENQUIRY_AHEAD)
                                   .select_related("incident").order_by("deadline", "id"))
    for enquiry in owned:
        items.append(NowItem(
            kind="media_enquiry", title=f"Media enquiry from {enquiry.outlet}", incident=enquiry.incident,
            url=reverse("media-enquiry", args=[enquiry.pk]),
            why=(f"You own it. {enquiry.journalist} asked for an answer by {uk_day_time(enquiry.deadline)}."),
            due_at=enquiry.deadline, since=enquiry.received_at))
    items += now_more(more_owned, "media enquiries of yours near or past their deadline", reverse("incident-list"),
                      "each incident's media log")
    items += undelivered_now(person)
    return only_visible_incidents(person, items)


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


def undelivered_now(person: Actor) -> list[NowItem]:
    """Released messages of the person's that could not be delivered to someone (they wrote it, or lead the
    incident's communications): each waits until they mark it seen, or someone tries the emails again."""

    emails = Email.objects.filter(kind=DELIVERY_EMAIL, about_id=OuterRef("about_id")).order_by().values("about_id")
    notices, more = now_capped(
        undelivered.restrict(person, Action.VIEW, Notice.objects.filter(closed_at__isnull=True))
        .annotate(failed=Coalesce(Subquery(emails.filter(state=FAILED).annotate(n=Count("*")).values("n")[:1]), 0),
                  sent_to=Coalesce(Subquery(emails.annotate(n=Count("*")).values("n")[:1]), 0))
        .order_by("created_at", "id"))
    about = Message.objects.select_related("incident").in_bulk({notice.about_id for notice in notices})
    items = [NowItem(
        kind="undelivered", title=about[notice.about_id].subject, incident=about[notice.about_id].incident,
        url=reverse("message-detail", args=[notice.about_id]) + "#deliveries",
        why=(f"Released, but {notice.failed} of its {notice.sent_to} emails could not be sent. See who it did not "
             "reach and why, then try again or mark it seen."),
        since=notice.created_at) for notice in notices if notice.about_id in about]
    return items + now_more(more, "messages that could not be delivered", reverse("incident-list"),
                            "each message's page")


def approvals_line(held: tuple[ApprovalHeld, ...]) -> str:
    """"Communications ✓ · Command —": which approvals the current version has, and which it still needs."""
    return " · ".join(f"{a.label} {'✓' if a.held else '—'}" for a in held)


# --- search (incidents.selectors.search) -------------------------------------------------------------------

MESSAGE_SEARCH = TextSearch({"subject": "A", "body": "B"}, ("body",))


def search_items(person: Actor, query: str, limit: int) -> list[SearchHit]:
    """Messages, by words in their subject and current text, of the incidents the person may see: restricted
    by the policy first, so a message of an incident hidden from them is never matched."""
    found = text_search(messages.restrict(person, Action.VIEW).select_related("incident"), query, MESSAGE_SEARCH)
    return [SearchHit(kind="message", title=message.subject, snippet=search_snippet(message, query, MESSAGE_SEARCH),
                      url=reverse("message-detail", args=[message.pk]), incident=message.incident,
                      when=message.updated_at, rank=message.search_rank)
            for message in found.order_by("-search_rank", "-updated_at", "-id")[:limit]]


# --- the incident's one-page summary (incidents/selectors.py summary) ---------------------------------------

SUMMARY_RELEASED = 8  # the latest releases; the Communications page has them all


def summary_released(person: Actor, incident: Incident) -> dict[str, Any]:
    """What has gone out: the latest released messages the person may see (messages policy VIEW), newest
    first, and how many in all."""
    released = messages.restrict(person, Action.VIEW).filter(incident=incident, status=MessageStatus.RELEASED)
    return {"messages": list(released.order_by("-released_at", "-id")
                             .only("pk", "subject", "audience", "released_at", "incident_id")[:SUMMARY_RELEASED]),
            "total": released.count()}


def summary_open_actions(person: Actor, incident: Incident) -> list:
    """Messages waiting on someone, of those the person may see: for approval, for the author's changes,
    for release (one query)."""

    found = messages.restrict(person, Action.VIEW).filter(incident=incident).aggregate(
        review=Count("id", filter=Q(status=MessageStatus.IN_REVIEW)),
        changes=Count("id", filter=Q(status=MessageStatus.CHANGES_REQUESTED)),
        release=Count("id", filter=Q(status__in=[MessageStatus.APPROVED, MessageStatus.SCHEDULED])),
        scheduled=Count("id", filter=Q(status=MessageStatus.SCHEDULED)),
    )
    return [
        OpenAction("Messages awaiting approval", found["review"]),
        OpenAction("Messages back with their author for changes", found["changes"]),
        OpenAction("Messages approved, awaiting release", found["release"],
                   f"{found['scheduled']} scheduled for their embargo time" if found["scheduled"] else ""),
    ]


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
