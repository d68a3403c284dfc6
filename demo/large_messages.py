"""seed_large's messages: each one's life (drafts, reviews, approvals, release, reads) as the services would
have written it."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from comms.models import (
    INTERNAL_AUDIENCES,
    PUBLIC_AUDIENCES,
    STAFF_BRIEFING_AUDIENCES,
    Approval,
    Audience,
    CommsEvent,
    InboxItem,
    Message,
    MessageVersion,
    ReviewComment,
)
from comms.services import content_hash
from people.models import User

from .large_rows import Batch, MessagePlan
from .large_words import (
    APPROVED_STATES,
    CHANGE_REQUESTS,
    CONTENT_NOTES,
    EDIT_NOTE,
    MESSAGES,
    PARTNER_EMAILS,
    WITHDRAW_REASONS,
    S,
    quote,
)


class MessageSeeding:
    """The part of the Seeder that writes an incident's messages."""

    def messages_of(self, plan, batch, incident, event, settled, writers, command, place) -> None:
        """Each message's story from draft to its status, as comms.services tells it. Staff hear first: the
        first released briefing starts as soon as everyone is in, and public messages start after it is out."""
        rng = self.rng
        first = next((m for m in plan.messages
                      if m.status == S.RELEASED and m.audience in STAFF_BRIEFING_AUDIENCES), None)
        latest = plan.end - dt.timedelta(hours=8)  # the longest story fits before the end
        briefed = settled
        if first is not None:
            begin = settled + self.gap()
            briefed = self.message(plan, batch, incident, event, first, begin, writers, command, place)
        for m in plan.messages:
            if m is first:
                continue
            public = m.audience in PUBLIC_AUDIENCES and m.status in (S.RELEASED, S.SCHEDULED)
            earliest = briefed if public else settled
            begin = earliest + (latest - earliest) * rng.random()
            self.message(plan, batch, incident, event, m, begin, writers, command, place)

    def message(self, plan, batch, incident, event, m: MessagePlan, at: dt.datetime, writers, command, place):
        """One message and its versions, approvals, comments and inbox items. Returns when it was last touched."""
        rng = self.rng
        internal = m.audience in INTERNAL_AUDIENCES
        scope = "internal" if internal else "public" if m.audience in PUBLIC_AUDIENCES else "external"
        author = rng.choice(writers)
        if internal:
            approvers = [rng.choice(command)]
        else:  # one from communications, one from command, neither the author
            comms = [u for u in writers if u is not author]
            if not comms:  # the comms lead is the only comms person: the tactical lead drafts instead
                author, comms = command[1], writers
            approvers = [rng.choice(comms), rng.choice([u for u in command if u is not author])]
            rng.shuffle(approvers)
        subject, body = rng.choice(MESSAGES[scope])
        subject, body = subject.format(place=place), body.format(place=place)
        note = rng.choice(CONTENT_NOTES) if internal else ""
        emails = sorted(rng.sample(PARTNER_EMAILS, rng.randint(1, 3))) if scope == "external" else []
        message = batch.add(Message(
            incident=incident, audience=m.audience, subject=subject, body=body, content_note=note,
            external_recipients=emails,
            release_at=self.now + dt.timedelta(days=rng.uniform(1, 30)) if m.status == S.SCHEDULED else None,
            author=author, created_at=at))
        recipients: list[int] = []
        if m.audience == Audience.TEAMS:
            teams = rng.sample(self.teams, min(len(self.teams), rng.randint(1, 2)))
            for team in teams:
                batch.add(Message.teams.through(message=message, team=team))
                recipients += self.team_members.get(team.pk, [])
        elif m.audience == Audience.PEOPLE:
            chosen = [u.pk for u in rng.sample(self.people, min(len(self.people), rng.randint(1, 8)))]
            recipients = list(dict.fromkeys(([self.lead.pk] if m.to_lead else []) + chosen))
            for pk in recipients:
                batch.add(Message.recipients.through(message=message, user_id=pk))
        elif m.audience == Audience.LEADERSHIP:
            recipients = self.leadership

        who = author.display_name
        state = {"status": S.DRAFT, "version": 1, "body": body, "updated_at": at, "change_request": "",
                 "withdrawn_reason": "", "released_at": None, "released_by_id": None, "released_version": None}
        audits = [(at, author, "+", "", dict(state))]
        batch.audits.append((message, audits))

        def version(number: int, text: str, when: dt.datetime) -> None:
            batch.add(MessageVersion(
                message=message, number=number, audience=m.audience, subject=subject, body=text, content_note=note,
                content_hash=content_hash(m.audience, subject, text, note), author=author, created_at=when))

        def step(when: dt.datetime, actor: User, type: str, summary: str, reason: str = "", save: bool = True,
                 **data) -> None:
            state["updated_at"] = when
            if save:
                audits.append((when, actor, "~", reason, dict(state)))
            event(when, actor, type, summary, {"message": message, **data})

        version(1, body, at)
        event(at, author, CommsEvent.MESSAGE_DRAFTED,
              f"{who} drafted a {Audience(m.audience).label.lower()} message: {quote(subject)}",
              {"message": message, "version": 1})
        if m.edited:
            at += self.gap()
            state["version"] = 2
            tomorrow = timezone.localtime(at + dt.timedelta(days=1))
            state["body"] = body + EDIT_NOTE.format(day=f"{tomorrow:%A}")
            version(2, state["body"], at)
            step(at, author, CommsEvent.MESSAGE_EDITED, f"{who} edited {quote(subject)} (version 2)",
                 version=2, fields=["body"])
        number = state["version"]
        if m.status != S.DRAFT:
            at += self.gap()
            state["status"] = S.IN_REVIEW
            step(at, author, CommsEvent.MESSAGE_SUBMITTED,
                 f"{who} submitted {quote(subject)} (version {number}) for approval", version=number)
        if m.status == S.CHANGES_REQUESTED:
            at += self.gap()
            asker = approvers[-1]
            comment = rng.choice(CHANGE_REQUESTS)
            batch.add(ReviewComment(message=message, version=number, author=asker, comment=comment, created_at=at))
            state.update(status=S.CHANGES_REQUESTED, change_request=comment)
            step(at, asker, CommsEvent.CHANGES_REQUESTED,
                 f"{asker.display_name} asked for changes to {quote(subject)}", version=number)
        elif m.status == S.WITHDRAWN:
            at += self.gap()
            reason = rng.choice(WITHDRAW_REASONS)
            state.update(status=S.WITHDRAWN, withdrawn_reason=reason)
            step(at, author, CommsEvent.MESSAGE_WITHDRAWN, f"{who} withdrew {quote(subject)}: {reason}", reason)
        elif m.status in APPROVED_STATES:
            for k, approver in enumerate(approvers):
                at += self.gap()
                complete = k == len(approvers) - 1
                approval = batch.add(Approval(
                    message=message, version=number, approver=approver, approved_at=at,
                    as_comms=approver in writers, as_command=approver in command))
                batch.audits.append((approval, [(at, approver, "+", "", None)]))
                if complete:
                    state["status"] = S.APPROVED
                step(at, approver, CommsEvent.MESSAGE_APPROVED,
                     f"{approver.display_name} approved version {number} of {quote(subject)}"
                     + (": fully approved" if complete else ": one more approval needed"),
                     save=complete, version=number, complete=complete)
        if m.status == S.SCHEDULED:
            at += self.gap()
            state.update(status=S.SCHEDULED, released_by_id=author.pk)
            step(at, author, CommsEvent.MESSAGE_SCHEDULED, f"{who} scheduled {quote(subject)} for release at "
                 f"{timezone.localtime(message.release_at):%d %b %Y %H:%M}")
        elif m.status == S.RELEASED:
            at += self.gap()
            state.update(status=S.RELEASED, released_at=at, released_by_id=author.pk, released_version=number)
            if internal:
                self.deliver(batch, message, recipients, at)
            step(at, author, CommsEvent.MESSAGE_RELEASED, f"{who} released {quote(subject)}"
                 + (f" to {len(recipients)} people" if internal else ""), version=number)
        for name, value in state.items():
            setattr(message, name, value)
        return at

    def deliver(self, batch: Batch, message: Message, recipients: list[int], at: dt.datetime) -> None:
        """An inbox item for each person the release reached; some already read. No email: the outbox
        would send them all when the worker next runs."""
        rng = self.rng
        latest = self.now - dt.timedelta(minutes=1)
        for pk in recipients:
            read = rng.random() < (0.4 if pk == self.lead.pk else 0.6)
            seen = min(at + dt.timedelta(minutes=rng.uniform(2, 4000)), latest) if read else None
            batch.add(InboxItem(message=message, recipient_id=pk, delivered_at=at, acknowledged_at=seen))

