"""What communications adds to the pages the spine draws, declared in comms/apps.py: the Now page's
items (messages to approve or release, briefings to read, media enquiries near their deadline,
messages that could not be delivered), search hits, and the incident summary's sections. Each is
restricted by the policy first, as every read is."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from core.actors import Actor
from core.models import Email, Notice
from core.outbox import FAILED
from core.times import uk_day_time
from core.wings import NowItem, OpenAction, SearchHit
from incidents.models import Incident
from incidents.now import now_capped, now_more, only_visible_incidents
from incidents.search import TextSearch, search_snippet, text_search

from .models import DELIVERY_EMAIL, Approval, EnquiryStatus, Message, MessageStatus
from .policy import COMMAND, COMMUNICATIONS, Action, Gate, enquiries, inbox, messages, undelivered
from .progress import approvals_held, approvals_line, release_progress
from .selectors import messages_with_details

# --- what needs me now (incidents.now.now_for) ---------------------------------------------------------------

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


# --- search (incidents.search.search) -----------------------------------------------------------------------

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
