"""`manage.py seed_large`: a large organisation for benchmarks, loaded on top of the demo (`seed_demo`).

At `--scale 1`: 2,000 staff in 40 teams, 1,000 incidents, 200,000 timeline events and 5,000 messages. The
lead (`--lead`, dhughes by default) leads a *large* incident (20,000 events, 10,000 decisions, 1,000
messages, 200 members) and a *small* one of the same kind of story (20 events, 10 decisions, 5 messages,
3 members), and has about 1,000 briefings in her inbox, so a page can be timed small against large. As in
the large incident, about half of every incident's events are decisions (some 100,000 in all).

The services take a transaction and several queries per row, far too slow for this, so the rows are
written with bulk_create in batches. They are the rows the services would have written, though: the same
timeline events with the same summaries and data, decision numbers in recording order, a version row for
every text of a message, approvals only from people who may give them, inbox items for exactly the people
a release reaches, and a django-simple-history row for every save of an audited model, since the History
panel reads those. Everything is back-dated and told in order, so a timeline event's id grows with its
time. Nothing is left for the worker: every review reminder that is due has been said, no email waits in
the outbox and a scheduled message's embargo is in the future.

Run it once, on a migrated database with the demo data; a second run is refused. The last line of output
is one JSON object: the two incidents, the lead, what was written and how long it took.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
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
    MessageStatus,
    MessageVersion,
    ReviewComment,
)
from comms.services import content_hash
from config.management.commands.seed_demo import DEMO_PASSWORD_DEFAULT
from incidents.models import (
    DEATH_KINDS,
    Decision,
    EventType,
    Incident,
    IncidentKind,
    IncidentStatus,
    MemberRole,
    Membership,
    OrgRole,
    ReferenceCounter,
    Team,
    TimelineEvent,
    User,
)
from incidents.rules import memberships_changed

BATCH = 2_000
SEED = 1_000  # fixed, so one scale always gives the same organisation (the clock apart)

# The sizes at --scale 1; the scale multiplies each, with a floor where the shape needs one.
TOTAL = {"staff": 2_000, "teams": 40, "incidents": 1_000, "events": 200_000, "messages": 5_000}
# A fifth of the messages are the large incident's: the rest are spread over the other incidents.
LARGE = {"events": 20_000, "decisions": 10_000, "messages": 1_000, "members": 200}
SMALL = {"events": 20, "decisions": 10, "messages": 5, "members": 3}
LEAD_INBOX = 1_000
ROLE_SHARE = {OrgRole.SENIOR_LEADER: 0.02, OrgRole.COMMS_OFFICER: 0.02, OrgRole.WELLBEING_LEAD: 0.01}

# The large incident's title is the marker of a database already seeded.
LARGE_TITLE = "Benchmark (large): disorder across the borough and attacks on staff"
SMALL_TITLE = "Benchmark (small): threats to staff at a family hub"
EMAIL_DOMAIN = "harbour-large.example"

S = MessageStatus
# What a message's story costs on the timeline beyond "drafted", by its final status; approvals are added.
STATUS_EVENTS = {S.DRAFT: 0, S.IN_REVIEW: 1, S.CHANGES_REQUESTED: 2, S.WITHDRAWN: 2, S.APPROVED: 1,
                 S.SCHEDULED: 2, S.RELEASED: 2}
APPROVED_STATES = frozenset({S.APPROVED, S.SCHEDULED, S.RELEASED})
# A status the incident's event budget cannot pay for becomes the one before it.
STATUS_BEFORE = {S.RELEASED: S.APPROVED, S.SCHEDULED: S.APPROVED, S.APPROVED: S.IN_REVIEW,
                 S.CHANGES_REQUESTED: S.IN_REVIEW, S.WITHDRAWN: S.IN_REVIEW, S.IN_REVIEW: S.DRAFT}
STATUS_WEIGHTS = {S.RELEASED: 45, S.IN_REVIEW: 12, S.DRAFT: 12, S.APPROVED: 8, S.CHANGES_REQUESTED: 8,
                  S.WITHDRAWN: 8, S.SCHEDULED: 4}
AUDIENCE_WEIGHTS = {Audience.TEAMS: 25, Audience.PEOPLE: 20, Audience.LEADERSHIP: 10, Audience.ALL_STAFF: 5,
                    Audience.PARTNERS: 7, Audience.ELECTED_MEMBERS: 5, Audience.FAMILY: 3,
                    Audience.PRESS_STATEMENT: 8, Audience.HOLDING_STATEMENT: 8, Audience.SOCIAL_MEDIA: 5,
                    Audience.WEBSITE: 4}
KIND_WEIGHTS = {IncidentKind.CHILD_DEATH: 8, IncidentKind.CHILD_SERIOUS_HARM: 18, IncidentKind.ADULT_DEATH: 10,
                IncidentKind.ADULT_SERIOUS_HARM: 18, IncidentKind.COMMUNITY_VIOLENCE: 14,
                IncidentKind.STAFF_ASSAULT: 20, IncidentKind.OTHER: 12}
STATUS_CHANGES = {IncidentStatus.OPEN: 0, IncidentStatus.STABILISING: 1, IncidentStatus.CLOSED: 2}

# --- words -------------------------------------------------------------------------------------------------

FIRST_NAMES = [
    "Aisha", "Alex", "Amara", "Andrew", "Bethan", "Callum", "Chidi", "Chloe", "Daniel", "Deepa", "Eilidh",
    "Emma", "Farid", "Fiona", "Gareth", "Hannah", "Hamza", "Imogen", "Isaac", "Jade", "James", "Kamala",
    "Karen", "Kwame", "Leah", "Liam", "Lucy", "Marek", "Maya", "Mohammed", "Naomi", "Niamh", "Oliver",
    "Olufemi", "Paul", "Rachel", "Rajesh", "Rhys", "Rosa", "Ruth", "Sadia", "Sean", "Sian", "Simon", "Sofia",
    "Sunita", "Thomas", "Tariq", "Una", "Victoria", "Wei", "Yasmin", "Zainab", "Zoltan",
]
SURNAMES = [
    "Abbott", "Ahmed", "Ali", "Bailey", "Begum", "Brown", "Chowdhury", "Clarke", "Davies", "Edwards", "Evans",
    "Fraser", "Green", "Griffiths", "Hall", "Hughes", "Hussain", "Iqbal", "Jackson", "James", "Jenkins",
    "Kaur", "Kelly", "Kowalski", "Lee", "Lewis", "Martin", "Mistry", "Morgan", "Murray", "Nowak", "O'Connor",
    "Okonkwo", "Owen", "Parry", "Patel", "Phillips", "Price", "Quinn", "Rahman", "Reid", "Roberts", "Scott",
    "Shah", "Singh", "Smith", "Taylor", "Thomas", "Turner", "Walker", "Ward", "Watson", "Williams", "Wood",
    "Wright", "Yusuf", "Zhang",
]
SERVICES = [
    "Assessment and Intervention", "Children in Care", "Early Help", "Fostering", "Adoption", "Disabled Children",
    "Youth Justice", "Leaving Care", "Family Hubs", "Front Door and MASH", "Adult Safeguarding",
    "Learning Disability", "Mental Health Social Work", "Reablement", "Residential Care", "Hospital Discharge",
]
AREAS = ["North", "South", "East", "West", "Central", "Riverside", "Coast", "Valleys"]
PLACES = [
    "Northtown", "Eastfield", "Riverside", "Hillcrest", "Marsh End", "Oakley", "Stanton", "Brookvale",
    "Ashford Green", "Kingsmead", "Low Moor", "Harbour Quay", "Westgate", "Fernhill", "Castle Park",
]
STAFF_TITLES = [
    "Social Worker", "Senior Social Worker", "Social Worker", "Family Support Worker", "Early Help Practitioner",
    "Occupational Therapist", "Personal Adviser", "Youth Worker", "Business Support Officer",
    "Residential Care Worker", "Independent Reviewing Officer", "Newly Qualified Social Worker",
]

INCIDENT_TITLES = {
    IncidentKind.CHILD_DEATH: ["Death of a child known to {team}", "Sudden death of an infant in {place}"],
    IncidentKind.CHILD_SERIOUS_HARM: ["Serious injury to a child open to {team}",
                                      "Non-accidental injury to a baby in {place}"],
    IncidentKind.ADULT_DEATH: ["Death of a care home resident in {place}",
                               "Death of an adult with care needs at home in {place}"],
    IncidentKind.ADULT_SERIOUS_HARM: ["Serious harm to a supported-living tenant in {place}",
                                      "Neglect found at a home care package in {place}"],
    IncidentKind.COMMUNITY_VIOLENCE: ["Disorder near the {place} family hub",
                                      "Knife crime among young people in {place}"],
    IncidentKind.STAFF_ASSAULT: ["Assault on a social worker during a home visit in {place}",
                                 "Threats to staff at the {place} contact centre"],
    IncidentKind.OTHER: ["Flooding at the {place} children's home", "Case records emailed in error by {team}",
                         "Fire at the {place} respite unit"],
}
INCIDENT_SUMMARY = (
    "Reported to the duty senior manager by {team}. The police and partner agencies are involved and the "
    "facts are still being established. Staff closest to it have been told and offered support."
)
SECOND_COMMS = "Second communications officer for approvals"
SUMMARY_UPDATES = [
    "Police have confirmed the next steps of their enquiry.", "Strategy discussion held; actions agreed.",
    "Partners have shared what they know; the chronology is being put together.",
    "The staff most affected are on reduced duties this week.", "Local councillors have been briefed.",
    "The family has a single point of contact through the police.", "Press interest has eased.",
]
MEMBER_REASONS = {
    MemberRole.TACTICAL_LEAD: ["Team manager for the service; runs the response day to day",
                               "Manages the team most affected"],
    MemberRole.COMMS_LEAD: ["Leads internal and external communications", "Comms lead on call this week"],
    MemberRole.WELLBEING_LEAD: ["Support for the team and the staff most affected",
                                "Staff wellbeing, including trauma support"],
    MemberRole.MEMBER: ["Allocated worker", "Practice supervisor for the allocated worker", "Knows the family",
                        "Manages the setting", "Business support for the response", "Liaison with the police"],
    MemberRole.OBSERVER: ["Kept informed as head of service", "Independent reviewing officer: kept informed",
                          "Legal services: kept informed"],
}
STATUS_REASONS = {
    IncidentStatus.STABILISING: ["No new developments for 48 hours; moving to recovery.",
                                 "Immediate risks managed; the focus is now on support and review."],
    IncidentStatus.CLOSED: ["Actions complete; handed over to the review process.",
                            "Recovery complete and the review commissioned."],
}
# decision, rationale, options considered, information relied on
DECISIONS = [
    ("Hold a daily multi-agency call at {hour}:00 until the incident is stable.",
     "Partners need one shared picture each morning, and frontline managers need to know when their questions "
     "will be answered.", "Twice-daily calls (rejected: too much for frontline managers).",
     "Police and health updates at the strategy discussion."),
    ("Reallocate the {team} team's visits for the next {days} days.",
     "The team is affected and needs space, and no family should go unseen in the meantime.",
     "Ask the team to carry on as usual (rejected).", "Caseload report; the team manager's view."),
    ("Offer everyone in {team} a voluntary debrief within {days} days.",
     "Early, optional support reduces harm; nobody should have to retell what happened.",
     "A compulsory debrief (rejected: it can retraumatise).", "Occupational health advice."),
    ("Brief the ward councillors for {place} before any public statement.",
     "They will be asked by residents and should hear it from us first.", "", "Democratic services contact list."),
    ("Do not name the setting in any public message.", "Naming it would identify the family.",
     "Name the area only (accepted for the holding statement).", "Legal advice."),
    ("Staff visit in pairs in {place} for {days} days.", "Two colleagues were threatened nearby.",
     "Suspend visits in the area (rejected: families would go unseen).", "Police community impact assessment."),
    ("Request a strategy discussion with the police today.",
     "The threshold for a section 47 enquiry may be met for other children in the household.", "",
     "Case record; the police log."),
    ("Notify the regulator within 24 hours.", "The statutory notification duty applies.",
     "Wait for more facts (rejected: the clock runs from awareness).", "Regulator's notification guidance."),
    ("Move the {place} sessions to the library for {days} days.",
     "Families still need the sessions and the building is not safe to open.", "Cancel the sessions (rejected).",
     "Facilities manager's report."),
    ("Restrict access to the case records to the named workers.",
     "The records may be needed by the police and the review; every access is logged.", "",
     "Information governance advice."),
    ("Put a temporary manager in place at {place} for {days} days.",
     "The registered manager is absent and the home needs steady leadership.",
     "A manager from the agency list (rejected: does not know the young people).", "HR advice."),
    ("Check every placement with the same provider by the end of the week.",
     "Other people placed there may face the same risk.", "", "Commissioning team's placement list."),
    ("Open a rapid review and ask for an independent chair.",
     "The circumstances meet the criteria for a local review.", "An internal review only (rejected).",
     "Safeguarding partnership guidance."),
]
LATE_REASONS = [
    "Recorded after the strategy meeting; the decision was made in the room.",
    "Decided by phone out of hours and written up the next morning.",
    "The log could not be reached during the site visit.",
]
CORRECTION_RATIONALE = ("Decision {number} recorded the wrong detail. This entry replaces it; the original "
                        "stays in the log, struck through.")
# subject, body; by the audience's scope
MESSAGES = {
    "internal": [
        ("Update on the incident in {place}",
         "This is an update on what has happened in {place} and what it means for you.\n\nThe police are leading "
         "enquiries and we do not yet know everything. Please do not discuss the details outside the team.\n\n"
         "Support is available: tick the box below or speak to your manager."),
        ("Support available after the events in {place}",
         "What happened in {place} has affected many of us. You do not have to talk about it, but if you would "
         "like to, support is available in confidence, including from people with shared experience."),
        ("What to say if you are asked about {place}",
         "You may be asked about the incident by families or the press. Please say that the council is working "
         "with the police and cannot comment, and pass any press enquiry to the communications team."),
        ("Changes to visits this week",
         "Until further notice, visits in {place} are made in pairs. Your manager will tell you which of your "
         "visits have been reallocated. The cost of taxis after evening sessions will be met."),
    ],
    "external": [
        ("Briefing for partner agencies: {place}",
         "We are writing to let you know about a serious incident in {place}. We are working with the police "
         "and will share more through the safeguarding partnership when we are able to."),
        ("Briefing for ward councillors",
         "A serious incident has happened in your ward. Residents may contact you. Please direct any media "
         "enquiries to the communications team; we will keep you updated."),
    ],
    "public": [
        ("Statement on the incident in {place}",
         "We are deeply saddened by what has happened in {place}. We are working closely with the police and "
         "partner agencies. It would not be appropriate to comment further while enquiries are under way."),
        ("Family hub update for {place}",
         "The family hub in {place} is open as usual. Staff safety is our priority and we are working with the "
         "police and community groups. Thank you for your patience."),
    ],
}
EDIT_NOTE = "\n\nUpdated: the next briefing will be on {day}."
CONTENT_NOTES = ["This message mentions the death of someone the team worked with.",
                 "This message describes threats made to colleagues.", ""]
CHANGE_REQUESTS = ["Please soften the second paragraph and say where people can get support.",
                   "Take out the street name: it could identify the family.", "Add when the next update will be."]
WITHDRAW_REASONS = ["Superseded by a later briefing.", "Written for the wrong audience; redrafted.",
                    "Overtaken by events: the police issued their own statement."]
PARTNER_EMAILS = ["safeguarding@police.example", "designated.nurse@health.example",
                  "partnership@safeguarding.example", "members@council.example", "family.liaison@police.example"]


# --- helpers -----------------------------------------------------------------------------------------------


def apportion(total: int, weights: list[float], floor: int = 0) -> list[int]:
    """`total` split into whole parts in proportion to `weights`, each at least `floor` (largest remainder)."""
    if not weights:
        return []
    floor = min(floor, total // len(weights))
    rest = total - floor * len(weights)
    raw = [rest * w / sum(weights) for w in weights]
    parts = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in by_remainder[: rest - sum(parts)]:
        parts[i] += 1
    return [floor + p for p in parts]


def shorten(text: str, limit: int = 160) -> str:
    """As incidents.services shortens a decision for its timeline summary."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def quote(subject: str) -> str:
    return f"“{subject}”"


@contextmanager
def stamps_as_given(*model_classes: type[models.Model]) -> Iterator[None]:
    """auto_now and auto_now_add write "now" on every insert; back-dated rows keep the times we give them."""
    fields = [f for model in model_classes for f in model._meta.concrete_fields
              if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


@cache
def historical(model: type[models.Model]) -> tuple[type[models.Model], list[str]]:
    """The model's history model and the fields it copies (reading `history` builds a manager each time)."""
    history = model.history.model
    return history, [f.attname for f in history.tracked_fields]


def history_row(obj: models.Model, at: dt.datetime, user: User | None, kind: str, reason: str = "",
                state: dict[str, Any] | None = None) -> models.Model:
    """The django-simple-history row one save would have written: the object's fields as they were then
    (`state`, by attname, over its final values), who saved it, when, and why."""
    history, fields = historical(type(obj))
    values = {name: getattr(obj, name) for name in fields}
    values.update(state or {})
    return history(history_date=at, history_user=user, history_type=kind,
                   history_change_reason=reason[:100] or None, **values)


@dataclass
class MessagePlan:
    audience: str
    status: str
    edited: bool = False
    to_lead: bool = False  # the lead is one of the people it reaches


@dataclass
class IncidentPlan:
    """One incident's sizes and frame, settled before any row is written so totals come out exact."""

    kind: str
    severity: str
    status: str
    restricted: bool
    opened_at: dt.datetime
    end: dt.datetime  # the last moment of its story: closure, or a few minutes ago
    events: int
    decisions: int
    members: int
    messages: list[MessagePlan]
    lead: User
    title: str = ""
    corrections: int = 0
    reminders: int = 0
    updates: int = 0  # "details changed" events, for what the rest of the story does not fill
    reference: str = ""


@dataclass
class Batch:
    """Rows of a few incidents, written together: parents first, then their history."""

    rows: dict[type[models.Model], list[models.Model]] = field(default_factory=dict)
    corrections: list[Decision] = field(default_factory=list)  # after the entries they correct
    audits: list[tuple[models.Model, list[tuple]]] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)

    def add(self, obj: models.Model) -> models.Model:
        self.rows.setdefault(type(obj), []).append(obj)
        return obj

    @property
    def size(self) -> int:
        return sum(len(r) for r in self.rows.values()) + len(self.events)


# --- the command -------------------------------------------------------------------------------------------


class Command(BaseCommand):
    help = "Add a large organisation for benchmarks to a demo database (once): see the module docstring."

    def add_arguments(self, parser):
        parser.add_argument("--not-live", action="store_true",
                            help="Run with DEBUG off: say so only for a throw-away database.")
        parser.add_argument("--scale", type=float, default=1.0, help="Multiplies every count (default 1.0).")
        parser.add_argument("--lead", default="dhughes", help="Username of the senior leader who leads the large "
                            "and the small incident (default dhughes, the demo lead).")

    def handle(self, *args, scale: float, lead: str, **options):
        if not settings.DEBUG and not options.get("not_live"):
            raise CommandError(
                "seed_large makes 2,000 accounts with the published demo password: it runs only with DEBUG on "
                "(or --not-live, for a test database), never on a live Harbour.")
        if not 0 < scale <= 100:
            raise CommandError("--scale must be more than 0 and at most 100.")
        if Incident.objects.filter(title=LARGE_TITLE).exists():
            raise CommandError(
                f"seed_large has already run on this database: the incident “{LARGE_TITLE}” exists. "
                "Start from a fresh database (migrate, seed_demo, then seed_large)."
            )
        person = User.objects.filter(username=lead, is_active=True).first()
        if person is None:
            raise CommandError(f"There is no active user “{lead}”. Run seed_demo first, or name another --lead.")
        if not person.groups.filter(name=OrgRole.SENIOR_LEADER).exists():
            raise CommandError(f"{lead} is not a senior leader, and only a senior leader can lead an incident.")
        started = time.monotonic()
        seeder = Seeder(scale, person, self.stdout if options["verbosity"] > 0 else None)
        with transaction.atomic(), stamps_as_given(Incident, Membership, Message, MessageVersion, Approval,
                                                   ReviewComment, InboxItem, FamilyInformed):
            seeder.run()
        memberships_changed()
        if connection.vendor == "postgresql":
            # Fresh statistics, as autovacuum would soon give them, so the first benchmark is not planned
            # against empty tables.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        counts = seeder.counts()
        result = {"large_incident": seeder.large.pk, "small_incident": seeder.small.pk, "lead": person.username,
                  "counts": counts, "seconds": round(time.monotonic() - started, 1)}
        self.stdout.write(json.dumps(result))


class Seeder:
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
            "staff": w.get("incidents.user", 0), "teams": w.get("incidents.team", 0),
            "incidents": w.get("incidents.incident", 0), "timeline_events": w.get("incidents.timelineevent", 0),
            "decisions": w.get("incidents.decision", 0), "memberships": w.get("incidents.membership", 0),
            "messages": w.get("comms.message", 0), "message_versions": w.get("comms.messageversion", 0),
            "approvals": w.get("comms.approval", 0), "inbox_items": w.get("comms.inboxitem", 0),
            "lead_inbox_items": InboxItem.objects.filter(recipient=self.lead).count(),
            "historical_rows": sum(v for k, v in w.items() if ".historical" in k),
            "large": of(self.large), "small": of(self.small),
            "by_table": dict(sorted(w.items())),
        }
