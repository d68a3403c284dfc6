"""The Seeder behind `manage.py seed_large`: it plans every incident first, then builds them a few at a
time (see the command's docstring)."""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.db import models
from django.utils import timezone

from comms.models import (
    INTERNAL_AUDIENCES,
    PUBLIC_AUDIENCES,
    STAFF_BRIEFING_AUDIENCES,
    Approval,
    Audience,
    CommsEvent,
    FamilyInformed,
    InboxItem,
    Message,
    MessageVersion,
    ReviewComment,
)
from demo.management.commands.seed_demo import DEMO_PASSWORD_DEFAULT
from incidents.models import (
    DEATH_KINDS,
    Decision,
    EventType,
    Incident,
    IncidentKind,
    IncidentStatus,
    MemberRole,
    Membership,
    ReferenceCounter,
    TimelineEvent,
)
from people.models import OrgRole, Team, User

from .large_messages import MessageSeeding
from .large_rows import Batch, IncidentPlan, MessagePlan, history_row
from .large_words import (
    APPROVED_STATES,
    AREAS,
    AUDIENCE_WEIGHTS,
    BATCH,
    CORRECTION_RATIONALE,
    DECISIONS,
    EMAIL_DOMAIN,
    FIRST_NAMES,
    INCIDENT_SUMMARY,
    INCIDENT_TITLES,
    KIND_WEIGHTS,
    LARGE,
    LARGE_TITLE,
    LATE_REASONS,
    LEAD_INBOX,
    MEMBER_REASONS,
    PLACES,
    ROLE_SHARE,
    SECOND_COMMS,
    SEED,
    SERVICES,
    SMALL,
    SMALL_TITLE,
    STAFF_TITLES,
    STATUS_BEFORE,
    STATUS_CHANGES,
    STATUS_EVENTS,
    STATUS_REASONS,
    STATUS_WEIGHTS,
    SUMMARY_UPDATES,
    SURNAMES,
    TOTAL,
    S,
    apportion,
    shorten,
)


class Seeder(MessageSeeding):
    """Plans every incident first (so the totals come out exact), then builds them a few at a time, and
    tells the whole timeline last (so ids follow time)."""

    def __init__(self, scale: float, lead: User, out):
        self.scale = scale
        self.lead = lead
        self.out = out
        self.rng = random.Random(SEED)
        self.now = timezone.now()
        self.clock = time.monotonic()
        self.written: dict[str, int] = {}
        self.events: list[tuple] = []  # (at, incident id, actor id, type, summary, data), told at the end

    def n(self, count: float, floor: int = 0) -> int:
        return max(floor, round(count * self.scale))

    def say(self, text: str) -> None:
        if self.out is not None:
            self.out.write(f"{text} ({time.monotonic() - self.clock:.1f} s)")

    def run(self) -> None:
        self.staff()
        plans = self.plan()
        self.references(plans)
        batch = Batch()
        for index, plan in enumerate(plans):
            incident = self.build(plan, batch)
            if plan.title == LARGE_TITLE:
                self.large = incident
            elif plan.title == SMALL_TITLE:
                self.small = incident
            if batch.size >= 20 * BATCH or index == len(plans) - 1:
                self.write(batch)
                batch = Batch()
                self.say(f"Incidents: {index + 1:,} of {len(plans):,} written")
        self.tell()

    # --- people --------------------------------------------------------------------------------------------

    def staff(self) -> None:
        """Teams, and staff in them with organisation roles and line managers, as import_staff leaves them.
        One password hash for all, the demo password, so a benchmark can sign in as anyone."""
        rng = self.rng
        taken = set(Team.objects.values_list("name", flat=True))
        names = [name for area in AREAS for service in SERVICES if (name := f"{service} ({area})") not in taken]
        count = self.n(TOTAL["teams"], 3)
        names += [f"{name} {i}" for i in range(2, 2 + count // len(names)) for name in names]
        teams = self.create([Team(name=name) for name in names[:count]])
        self.create([history_row(t, self.now - dt.timedelta(days=3650), None, "+") for t in teams])

        total = self.n(TOTAL["staff"], 12)
        seniors, comms, wellbeing = (max(floor, round(total * ROLE_SHARE[role])) for role, floor in (
            (OrgRole.SENIOR_LEADER, 2), (OrgRole.COMMS_OFFICER, 2), (OrgRole.WELLBEING_LEAD, 1)))
        password = make_password(os.environ.get("HARBOUR_DEMO_PASSWORD") or DEMO_PASSWORD_DEFAULT)
        numbers = iter(range(1, 10 * total))

        def person(team: Team, title: str, manager: User) -> User:
            first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
            username = f"{first[0]}{last}".lower().replace("'", "") + f"{next(numbers):04d}"
            return User(username=username, email=f"{username}@{EMAIL_DOMAIN}", full_name=f"{first} {last}",
                        team=team, job_title=title, line_manager=manager, password=password,
                        date_joined=self.now - dt.timedelta(days=rng.uniform(30, 3600)))

        def team(k: int) -> Team:
            return teams[k % len(teams)]

        # In waves, so that each wave's line managers are already written.
        leaders = self.create([person(team(k), f"Head of Service, {SERVICES[k % len(SERVICES)]}", self.lead)
                               for k in range(seniors)])
        officers = self.create([person(team(k), "Communications Officer", leaders[k % seniors])
                                for k in range(comms)])
        carers = self.create([person(team(k), "Staff Wellbeing Lead", leaders[k % seniors])
                              for k in range(wellbeing)])
        heads = self.create([person(t, "Team Manager", leaders[k % seniors]) for k, t in enumerate(teams)])
        staff = self.create([  # one in twelve a practice supervisor, a manager too
            person(team(k), "Practice Supervisor" if k % 12 == 0 else rng.choice(STAFF_TITLES),
                   heads[k % len(teams)])
            for k in range(max(0, total - seniors - comms - wellbeing - len(teams)))])
        people = leaders + officers + carers + heads + staff
        self.create([history_row(u, u.date_joined, None, "+") for u in people])
        supervisors = [u for u in staff if u.job_title == "Practice Supervisor"]

        groups = {g.name: g for g in Group.objects.filter(name__in=OrgRole.values)}
        for role in OrgRole.values:  # made by a data migration, unless a test flushed them
            groups.setdefault(role, Group.objects.get_or_create(name=role)[0])
        link = User.groups.through
        self.create([link(user_id=u.pk, group_id=groups[role].pk) for role, holders in (
            (OrgRole.SENIOR_LEADER, leaders), (OrgRole.COMMS_OFFICER, officers), (OrgRole.WELLBEING_LEAD, carers),
            (OrgRole.MANAGER, heads + supervisors)) for u in holders])

        self.teams, self.people, self.seniors = teams, people, leaders
        self.comms, self.wellbeing, self.managers = officers, carers, heads + supervisors
        self.comms_ids = {u.pk for u in officers}
        self.team_members: dict[int, list[int]] = {}
        for u in people:
            self.team_members.setdefault(u.team_id, []).append(u.pk)
        # Whom a message to "leadership" reaches: every active senior leader, the demo's too.
        self.leadership = list(User.objects.filter(is_active=True, groups__name=OrgRole.SENIOR_LEADER)
                               .values_list("pk", flat=True).distinct())
        self.say(f"Staff: {len(people):,} in {len(teams)} teams")

    # --- the plan: every incident's sizes, so the totals are exact ------------------------------------------

    def plan(self) -> list[IncidentPlan]:
        rng, now = self.rng, self.now
        incidents = self.n(TOTAL["incidents"], 2)
        large = {key: self.n(value, 1) for key, value in LARGE.items()}
        large["members"] = min(max(large["members"], 4), len(self.people) + 1)
        small = {key: self.n(value, 1) for key, value in SMALL.items()}
        small["members"] = 3
        # The pair to compare: the same kind of story over the same month, open, led by the lead.
        plans = [
            self.sized(IncidentPlan(
                kind=kind, severity="critical", status=IncidentStatus.OPEN, restricted=False,
                opened_at=now - dt.timedelta(days=30), end=now - dt.timedelta(minutes=10), events=size["events"],
                decisions=size["decisions"], members=size["members"], messages=self.message_plans(size["messages"]),
                lead=self.lead, title=title))
            for title, kind, size in ((LARGE_TITLE, IncidentKind.COMMUNITY_VIOLENCE, large),
                                      (SMALL_TITLE, IncidentKind.STAFF_ASSAULT, small))
        ]
        others = incidents - 2
        weights = [rng.lognormvariate(0, 0.8) for _ in range(others)]
        events_left = max(0, self.n(TOTAL["events"]) - large["events"] - small["events"])
        messages_left = max(0, self.n(TOTAL["messages"]) - large["messages"] - small["messages"])
        events = apportion(events_left, weights, floor=30)
        messages = apportion(messages_left, weights)
        for size, count in zip(events, messages, strict=True):
            status = rng.choices(list(STATUS_CHANGES), weights=[50, 25, 25])[0]
            if status == IncidentStatus.CLOSED:
                opened = now - dt.timedelta(days=rng.uniform(70, 1000))
                end = opened + dt.timedelta(days=rng.uniform(5, 60))
            else:
                opened = now - dt.timedelta(days=rng.uniform(3, 120))
                end = now - dt.timedelta(minutes=rng.uniform(10, 600))
            # Few enough people that their arrival leaves room in the story for decisions.
            members = min(rng.randint(3, 12), len(self.people) + 1, max(3, size - count - 5))
            plans.append(self.sized(IncidentPlan(
                kind=rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0],
                severity=rng.choice(["critical", "major", "major", "moderate"]), status=status,
                restricted=rng.random() < 0.25, opened_at=opened, end=end, events=size,
                decisions=max(1, round(size / 2)),  # half the story, as in the large incident
                members=members, messages=self.message_plans(count), lead=rng.choice(self.seniors))))
        self.route_to_lead(plans)
        return plans

    def message_plans(self, count: int) -> list[MessagePlan]:
        rng = self.rng
        plans = []
        for _ in range(count):
            audience = rng.choices(list(AUDIENCE_WEIGHTS), weights=list(AUDIENCE_WEIGHTS.values()))[0]
            status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
            plans.append(MessagePlan(audience, status, edited=rng.random() < 0.15))
        return plans

    def sized(self, plan: IncidentPlan) -> IncidentPlan:
        """Fit the story to the incident's event count. Opened, members added, messages drafted and status
        changes come first, then the decisions; messages go only as far along as what is left allows; review
        reminders, then changes of details, fill the rest. Only an incident too small for its own shape
        (the small one at a tiny scale) gets more events than asked."""
        death = plan.kind in DEATH_KINDS
        closed = plan.status == IncidentStatus.CLOSED
        for m in plan.messages:
            if m.audience == Audience.ALL_STAFF and m.status in (S.RELEASED, S.SCHEDULED):
                m.audience = Audience.TEAMS  # a release to everyone would fill 2,000 inboxes per message
            if m.audience == Audience.LEADERSHIP and m.status == S.SCHEDULED:
                m.audience = Audience.TEAMS  # it would reach the lead's inbox later, past her count
            if closed and m.status == S.SCHEDULED:
                m.status = S.RELEASED
        fixed = plan.members + len(plan.messages) + death + STATUS_CHANGES[plan.status]
        plan.events = max(plan.events, fixed + 1)
        plan.decisions = max(1, min(plan.decisions, plan.events - fixed))
        budget = plan.events - fixed - plan.decisions
        for m in plan.messages:
            while self.cost(m) > budget:
                if m.edited:
                    m.edited = False
                else:
                    m.status = STATUS_BEFORE[m.status]
            budget -= self.cost(m)
        if not any(m.status == S.RELEASED and m.audience in STAFF_BRIEFING_AUDIENCES for m in plan.messages):
            for m in plan.messages:  # staff hear before the press: without a briefing, nothing public goes
                if m.audience in PUBLIC_AUDIENCES and m.status in (S.RELEASED, S.SCHEDULED):
                    budget += 1
                    m.status = S.APPROVED
        plan.corrections = plan.decisions // 50 if plan.decisions >= 5 else 0
        plan.reminders = min(budget, plan.decisions - plan.corrections)
        plan.updates = budget - plan.reminders
        return plan

    @staticmethod
    def cost(m: MessagePlan) -> int:
        approvals = (1 if m.audience in INTERNAL_AUDIENCES else 2) if m.status in APPROVED_STATES else 0
        return STATUS_EVENTS[m.status] + approvals + m.edited

    def route_to_lead(self, plans: list[IncidentPlan]) -> None:
        """About LEAD_INBOX released briefings reach the lead: every one to leadership, then ones to chosen
        staff that name her. The rest go to teams and staff she is not among."""
        target = self.n(LEAD_INBOX, 1)
        released = [m for p in plans for m in p.messages
                    if m.status == S.RELEASED and m.audience in INTERNAL_AUDIENCES]
        self.rng.shuffle(released)
        leadership = [m for m in released if m.audience == Audience.LEADERSHIP]
        for m in leadership[target:]:
            m.audience = Audience.PEOPLE
        chosen = leadership[:target]
        rest = sorted((m for m in released if m.audience != Audience.LEADERSHIP),
                      key=lambda m: m.audience != Audience.PEOPLE)
        for m in rest[: target - len(chosen)]:
            m.audience = Audience.PEOPLE
            chosen.append(m)
        for m in chosen:
            m.to_lead = True

    def references(self, plans: list[IncidentPlan]) -> None:
        """INC-YYYY-NNNN by the year each was opened, after the numbers already issued, and the counters
        moved on so the next incident opened through the service gets the next number."""
        counters = {c.year: c for c in ReferenceCounter.objects.select_for_update()}
        for plan in sorted(plans, key=lambda p: p.opened_at):
            year = timezone.localtime(plan.opened_at).year
            counter = counters.setdefault(year, ReferenceCounter(year=year, last=0))
            counter.last += 1
            plan.reference = f"INC-{year}-{counter.last:04d}"
        for counter in counters.values():
            counter.save()

    # --- one incident ---------------------------------------------------------------------------------------

    def build(self, plan: IncidentPlan, batch: Batch) -> Incident:
        rng = self.rng
        start, end, lead = plan.opened_at, plan.end, plan.lead
        settled = start + min((end - start) / 10, dt.timedelta(days=2))  # everyone is in by then
        team = rng.choice(self.teams).name
        place = rng.choice(PLACES)
        title = plan.title or rng.choice(INCIDENT_TITLES[plan.kind]).format(team=team, place=place)[:200]
        occurred = start - dt.timedelta(hours=rng.uniform(2, 72))
        incident = batch.add(Incident(
            reference=plan.reference, title=title, kind=plan.kind, severity=plan.severity, status=plan.status,
            occurred_at=occurred, aware_at=occurred + (start - occurred) * rng.random(),
            summary=INCIDENT_SUMMARY.format(team=team), restricted=plan.restricted, opened_at=start,
            opened_by=lead))
        event = self.teller(batch, incident)
        event(start, lead, EventType.INCIDENT_OPENED, f"{lead.display_name} opened {plan.reference}: {title}"
              + (" (restricted)" if plan.restricted else ""), {"reference": plan.reference})

        # Members: the lead (with the incident), then the tactical lead, the comms lead and the rest.
        cast = [(rng.choice(self.managers), MemberRole.TACTICAL_LEAD, None),
                (rng.choice(self.comms), MemberRole.COMMS_LEAD, None)]
        if plan.members >= 5 and rng.random() < 0.7:
            cast.append((rng.choice(self.wellbeing), MemberRole.WELLBEING_LEAD, None))
        chosen = {u.pk for u, _, _ in cast}
        # Communications officers besides the comms lead, so statements have a second comms approver.
        spare = [u for u in self.comms if u.pk not in chosen]
        room = plan.members - 1 - len(cast)
        for u in rng.sample(spare, max(0, min(len(spare), room, max(1, plan.members // 40)))):
            cast.append((u, MemberRole.MEMBER, SECOND_COMMS))
            chosen.add(u.pk)
        others = [u for u in self.people if u.pk not in chosen and u is not lead]
        for u in rng.sample(others, max(0, min(len(others), plan.members - 1 - len(cast)))):
            cast.append((u, MemberRole.OBSERVER if rng.random() < 0.2 else MemberRole.MEMBER, None))
        membership = batch.add(Membership(incident=incident, user=lead, role=MemberRole.LEAD,
                                          reason="Opened the incident", added_at=start, added_by=lead))
        batch.audits.append((membership, [(start, lead, "+", "", None)]))
        tactical = cast[0][0]
        arrivals = self.times(len(cast), start, settled)
        for k, ((user, role, reason), at) in enumerate(zip(cast, arrivals, strict=True)):
            adder = lead if k == 0 or rng.random() < 0.5 else tactical  # the tactical lead runs membership too
            reason = reason or rng.choice(MEMBER_REASONS[role])
            membership = batch.add(Membership(incident=incident, user=user, role=role, reason=reason, added_at=at,
                                              added_by=adder))
            batch.audits.append((membership, [(at, adder, "+", "", None)]))
            event(at, adder, EventType.MEMBER_ADDED,
                  f"{adder.display_name} added {user.display_name} as {MemberRole(role).label.lower()}: {reason}",
                  {"user": user.username, "role": role, "reason": reason})
        command = [lead, tactical]
        contributors = [lead] + [u for u, role, _ in cast if role != MemberRole.OBSERVER]
        writers = [u for u, role, _ in cast if role == MemberRole.COMMS_LEAD
                   or (role == MemberRole.MEMBER and u.pk in self.comms_ids)]

        if plan.kind in DEATH_KINDS:
            at = start + (settled - start) * rng.uniform(0.1, 0.5)
            informed = at - dt.timedelta(minutes=rng.uniform(5, 120))
            record = batch.add(FamilyInformed(incident=incident, informed_at=informed, recorded_at=at,
                                              informed_by="Police family liaison officer", recorded_by=lead,
                                              note="Told at home; a liaison officer is with the family."))
            batch.audits.append((record, [(at, lead, "+", "", None)]))
            event(at, lead, CommsEvent.FAMILY_INFORMED, f"{lead.display_name} recorded that the family was "
                  f"informed ({timezone.localtime(informed):%d %b %H:%M}, by Police family liaison officer)",
                  {"informed_at": informed.isoformat()})

        leftover = self.decisions(plan, batch, incident, event, settled, contributors, command, team, place)
        self.messages_of(plan, batch, incident, event, settled, writers, command, place)
        self.changes(plan, batch, incident, event, settled, command, plan.updates + leftover)
        return incident

    def teller(self, batch: Batch, incident: Incident):
        def event(at: dt.datetime, actor: User | None, type: str, summary: str, data: dict[str, Any]) -> None:
            batch.events.append((at, incident, actor.pk if actor else None, type, summary[:500], data))
        return event

    def times(self, count: int, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
        """`count` moments strictly between start and end, in order."""
        span = (end - start).total_seconds()
        offsets = sorted(self.rng.uniform(1, span - 1) for _ in range(count))
        return [start + dt.timedelta(seconds=s) for s in offsets]

    def gap(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.rng.uniform(5, 60))

    def decisions(self, plan, batch, incident, event, settled, contributors, command, team, place) -> int:
        """The decision log: numbered in recording order, a few late entries, a few corrections, and review
        reminders said at their time. Returns the reminders that did not fit, for another kind of event."""
        rng = self.rng
        late_limit = dt.timedelta(minutes=settings.HARBOUR_LATE_ENTRY_MINUTES)
        entries: list[Decision] = []
        corrected: set[int] = set()
        wording: dict[int, tuple[str, ...]] = {}
        correcting = set(rng.sample(range(1, plan.decisions), min(plan.corrections, plan.decisions - 1)))
        for number, recorded in enumerate(self.times(plan.decisions, settled, plan.end), start=1):
            actor = rng.choice(contributors)
            decider = actor if rng.random() < 0.7 else rng.choice(command)
            late = rng.random() < 0.05
            decided = recorded - (late_limit + dt.timedelta(hours=rng.uniform(0.1, 6)) if late
                                  else dt.timedelta(minutes=rng.uniform(0, late_limit.total_seconds() / 60 - 1)))
            decided = max(decided, plan.opened_at)
            target = None
            if number - 1 in correcting:
                candidates = [d for d in entries[-50:] if d.corrects is None and d.number not in corrected]
                target = rng.choice(candidates) if candidates else None
            words = wording[target.number] if target else rng.choice(DECISIONS)
            wording[number] = words
            fill = {"team": team, "place": place, "hour": rng.choice([8, 9, 10]), "days": rng.choice([3, 5, 7, 14])}
            text = words[0].format(**fill)
            if target is not None:  # the same decision, put right (another time, another number of days)
                corrected.add(target.number)
                text = f"Correction to decision {target.number}: {text}"
            entry = Decision(
                incident=incident, number=number, decision=text,
                rationale=CORRECTION_RATIONALE.format(number=target.number) if target else words[1],
                options_considered=words[2], information=words[3], decided_by=decider, decided_at=decided,
                recorded_at=recorded, recorded_by=actor, corrects=target,
                late_entry_reason=rng.choice(LATE_REASONS) if recorded - decided > late_limit else "")
            entries.append(entry)
            if target is None:
                batch.add(entry)
            else:
                batch.corrections.append(entry)
            batch.audits.append((entry, [(recorded, actor, "+", "", None)]))
            prefix = f"Decision {number}" + (f" (corrects decision {target.number})" if target else "")
            event(recorded, actor, EventType.DECISION_RECORDED,
                  f"{prefix} recorded by {actor.display_name}: {shorten(text)}",
                  {"decision": entry, "number": number, "corrects": target})
        # The worker says each reminder when it is due and never for a corrected entry; all of these are due.
        room = dt.timedelta(minutes=10)
        due = [d for d in entries if d.number not in corrected and plan.end - d.recorded_at > room]
        for entry in rng.sample(due, min(plan.reminders, len(due))):
            left = plan.end - entry.recorded_at
            wait = min(dt.timedelta(hours=rng.uniform(1, 72)), left * rng.uniform(0.3, 0.9))
            entry.review_at = entry.recorded_at + wait
            event(entry.review_at + dt.timedelta(seconds=rng.uniform(1, 30)), None, EventType.DECISION_REVIEW_DUE,
                  f"Decision {entry.number} is due for review.", {"decision": entry, "number": entry.number})
        return plan.reminders - min(plan.reminders, len(due))

    def changes(self, plan, batch, incident, event, settled, command, updates: int) -> None:
        """The incident's own saves after opening: status changes and updated summaries, each a history row
        diffed against the one before, as incident_transition and incident_update write them."""
        rng = self.rng
        lead, start, end = plan.lead, plan.opened_at, plan.end
        steps: list[tuple[dt.datetime, str, Any]] = []
        if plan.status != IncidentStatus.OPEN:
            steps.append((start + (end - start) * rng.uniform(0.55, 0.8), "status", IncidentStatus.STABILISING))
        if plan.status == IncidentStatus.CLOSED:
            steps.append((end, "status", IncidentStatus.CLOSED))
        steps += [(at, "summary", k) for k, at in enumerate(self.times(updates, settled, end))]
        steps.sort(key=lambda s: s[0])
        state = {"status": IncidentStatus.OPEN, "summary": incident.summary, "updated_at": start}
        audits = [(start, lead, "+", "", dict(state))]
        for at, kind, value in steps:
            state["updated_at"] = at
            if kind == "status":
                reason = rng.choice(STATUS_REASONS[value])
                event(at, lead, EventType.INCIDENT_STATUS_CHANGED, f"{lead.display_name} moved the incident to "
                      f"{IncidentStatus(value).label.lower()}: {reason}",
                      {"from": state["status"], "to": value, "reason": reason})
                state["status"] = value
                audits.append((at, lead, "~", reason, dict(state)))
            else:
                actor = rng.choice(command)
                state["summary"] = f"{incident.summary}\n\nLatest ({value + 1}): {rng.choice(SUMMARY_UPDATES)}"
                event(at, actor, EventType.INCIDENT_UPDATED, f"{actor.display_name} changed the details: summary "
                      "updated", {"fields": ["summary"]})
                audits.append((at, actor, "~", "", dict(state)))
        for name, value in state.items():
            setattr(incident, name, value)
        batch.audits.append((incident, audits))

    # --- writing --------------------------------------------------------------------------------------------

    def create(self, objs: list[models.Model]) -> list[models.Model]:
        if not objs:
            return objs
        model = type(objs[0])
        created = model.objects.bulk_create(objs, batch_size=BATCH)
        if created[0].pk is None:  # later rows point at these, so their ids must come back
            raise CommandError("This database does not return ids from bulk inserts; seed_large needs them.")
        key = model._meta.label_lower
        self.written[key] = self.written.get(key, 0) + len(created)
        return created

    def write(self, batch: Batch) -> None:
        """The batch's rows in dependency order, then their history rows, then its events with ids in
        their data in place of the objects (which may then be let go)."""
        order = [Incident, Membership, FamilyInformed, Decision, Message, MessageVersion, Message.teams.through,
                 Message.recipients.through, Approval, ReviewComment, InboxItem]
        for model in order:
            self.create(batch.rows.get(model, []))
            if model is Decision:
                self.create(batch.corrections)
        rows: dict[type, list] = {}
        for obj, audits in batch.audits:
            for at, user, kind, reason, state in audits:
                row = history_row(obj, at, user, kind, reason, state)
                rows.setdefault(type(row), []).append(row)
        for history in rows.values():
            self.create(history)
        for at, incident, actor, type_, summary, data in batch.events:
            data = {k: v.pk if isinstance(v, models.Model) else v for k, v in data.items()}
            self.events.append((at, incident.pk, actor, type_, summary, data))

    def tell(self) -> None:
        """Every event, oldest first, so an event's id grows with its time as it does when they are told live."""
        self.events.sort(key=lambda e: e[0])
        for i in range(0, len(self.events), BATCH):
            self.create([TimelineEvent(at=at, incident_id=incident, actor_id=actor, type=type_, summary=summary,
                                       data=data)
                         for at, incident, actor, type_, summary, data in self.events[i:i + BATCH]])
        self.say(f"Timeline: {len(self.events):,} events")

    def counts(self) -> dict[str, Any]:
        """What was written (table by table), and the two incidents and the lead's inbox read back."""
        def of(incident: Incident) -> dict[str, int]:
            return {
                "timeline_events": TimelineEvent.objects.filter(incident=incident).count(),
                "decisions": Decision.objects.filter(incident=incident).count(),
                "historical_decisions": Decision.history.filter(incident_id=incident.pk).count(),
                "messages": Message.objects.filter(incident=incident).count(),
                "members": Membership.objects.active().filter(incident=incident).count(),
            }

        w = self.written
        return {
            "staff": w.get("people.user", 0), "teams": w.get("people.team", 0),
            "incidents": w.get("incidents.incident", 0), "timeline_events": w.get("incidents.timelineevent", 0),
            "decisions": w.get("incidents.decision", 0), "memberships": w.get("incidents.membership", 0),
            "messages": w.get("comms.message", 0), "message_versions": w.get("comms.messageversion", 0),
            "approvals": w.get("comms.approval", 0), "inbox_items": w.get("comms.inboxitem", 0),
            "lead_inbox_items": InboxItem.objects.filter(recipient=self.lead).count(),
            "historical_rows": sum(v for k, v in w.items() if ".historical" in k),
            "large": of(self.large), "small": of(self.small),
            "by_table": dict(sorted(w.items())),
        }
