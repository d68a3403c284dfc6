"""`manage.py seed_demo`: a fictional council children's and families' department to try Harbour with.

Idempotent: people are imported (or updated) through the same importer as real directories, and the two
demo incidents are created through the services only if they are not there yet. Every name is invented.

The statutory clocks are shown at work: the child death's awareness is set so that its Panel notification
(5 working days) falls due within about a working day of the seed, its Director was told the same day and its
looked-after child notification was found not to apply; the disorder's holding statement is overdue.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from unittest import mock

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from clocks import services as clocks_services
from clocks.models import Obligation, ObligationStatus
from comms import media as comms_media
from comms import protect as comms_protect
from comms import releases as comms_releases
from comms import services as comms_services
from core.workdays import END_OF_DAY, LONDON, is_working_day
from incidents import services
from incidents.membership import member_add
from incidents.models import Incident, IncidentStatus
from people.models import User
from people.staff_import import COLUMNS, import_staff
from support import debriefing as support_debriefing
from support import services as support_services
from support.models import FollowUp

DEMO_PASSWORD_DEFAULT = "harbour-demo"  # noqa: S105 - fictional demo organisation only

# username, full name, team, job title, line manager, roles
STAFF = [
    ("dhughes", "Dana Hughes", "Directorate", "Director of Children's Services", "", "senior_leader"),
    ("mokafor", "Michael Okafor", "Directorate", "Assistant Director, Safeguarding", "dhughes", "senior_leader"),
    ("pshah", "Priya Shah", "Directorate", "Head of Service, Children in Care", "mokafor", "senior_leader;manager"),
    ("lbrennan", "Laura Brennan", "Directorate", "Communications Officer", "mokafor", "comms_officer"),
    ("tadeyemi", "Tomi Adeyemi", "Directorate", "Senior Communications Officer", "mokafor", "comms_officer"),
    ("rcollins", "Ruth Collins", "Directorate", "Staff Wellbeing Lead (Occupational Health)", "mokafor", "wellbeing_lead"),
    ("hkaur", "Harpreet Kaur", "Directorate", "Clinical Psychologist, Staff Support", "rcollins", "wellbeing_lead"),
    ("gwalsh", "Gareth Walsh", "Directorate", "Business Support Officer", "pshah", ""),
    # Assessment and Intervention (North)
    ("jmorgan", "Joanna Morgan", "Assessment and Intervention North", "Team Manager", "mokafor", "manager"),
    ("aosei", "Akua Osei", "Assessment and Intervention North", "Practice Supervisor", "jmorgan", "manager"),
    ("bpatel", "Bilal Patel", "Assessment and Intervention North", "Social Worker", "aosei", ""),
    ("cdonnelly", "Ciara Donnelly", "Assessment and Intervention North", "Social Worker", "aosei", ""),
    ("efletcher", "Eleanor Fletcher", "Assessment and Intervention North", "Senior Social Worker", "jmorgan", ""),
    ("fnowak", "Filip Nowak", "Assessment and Intervention North", "Social Worker", "aosei", ""),
    ("gmensah", "Grace Mensah", "Assessment and Intervention North", "Family Support Worker", "jmorgan", ""),
    ("iroberts", "Ifan Roberts", "Assessment and Intervention North", "Newly Qualified Social Worker", "aosei", ""),
    # Assessment and Intervention (South)
    ("kfarah", "Khadija Farah", "Assessment and Intervention South", "Team Manager", "mokafor", "manager"),
    ("lchen", "Lina Chen", "Assessment and Intervention South", "Practice Supervisor", "kfarah", "manager"),
    ("mdoyle", "Martin Doyle", "Assessment and Intervention South", "Senior Social Worker", "kfarah", ""),
    ("nbello", "Ngozi Bello", "Assessment and Intervention South", "Social Worker", "lchen", ""),
    ("oharris", "Owen Harris", "Assessment and Intervention South", "Social Worker", "lchen", ""),
    ("pwright", "Phoebe Wright", "Assessment and Intervention South", "Social Worker", "lchen", ""),
    ("qahmed", "Qasim Ahmed", "Assessment and Intervention South", "Family Support Worker", "kfarah", ""),
    ("rjones", "Rhiannon Jones", "Assessment and Intervention South", "Contact Centre Adviser", "kfarah", ""),
    # Children in Care
    ("sokoro", "Samuel Okoro", "Children in Care", "Team Manager", "pshah", "manager"),
    ("tlewis", "Tamsin Lewis", "Children in Care", "Practice Supervisor", "sokoro", "manager"),
    ("ukhan", "Usman Khan", "Children in Care", "Social Worker", "tlewis", ""),
    ("vmurphy", "Vivienne Murphy", "Children in Care", "Social Worker", "tlewis", ""),
    ("wevans", "Wyn Evans", "Children in Care", "Senior Social Worker", "sokoro", ""),
    ("xlopez", "Ximena Lopez", "Children in Care", "Independent Reviewing Officer", "sokoro", ""),
    ("ybaker", "Yusuf Baker", "Children in Care", "Personal Adviser", "tlewis", ""),
    ("zcampbell", "Zara Campbell", "Children in Care", "Social Worker", "tlewis", ""),
    # Early Help and Community
    ("aobrien", "Aoife O'Brien", "Early Help and Community", "Team Manager", "mokafor", "manager"),
    ("bnguyen", "Bao Nguyen", "Early Help and Community", "Community Engagement Lead", "aobrien", ""),
    ("cwilliams", "Callum Williams", "Early Help and Community", "Early Help Practitioner", "aobrien", ""),
    ("dosullivan", "Deirdre O'Sullivan", "Early Help and Community", "Early Help Practitioner", "aobrien", ""),
    ("eadebayo", "Emeka Adebayo", "Early Help and Community", "Youth Worker", "aobrien", ""),
    ("fhussain", "Farah Hussain", "Early Help and Community", "Youth Worker", "aobrien", ""),
    ("gthomas", "Gethin Thomas", "Early Help and Community", "Family Hub Coordinator", "aobrien", ""),
    ("hsingh", "Harjit Singh", "Early Help and Community", "Family Support Worker", "aobrien", ""),
]

# The log-ins worth knowing, printed by `make run`.
KEY_PEOPLE = [
    ("dhughes", "senior leader: leads the restricted child death incident (the Panel is due soon: /clocks/)"),
    ("mokafor", "senior leader: leads the community violence incident"),
    ("pshah", "senior leader and manager: sees unrestricted incidents read-only"),
    ("lbrennan", "communications officer: comms lead in both incidents; the approvals board"),
    ("tadeyemi", "communications officer: second approver in the community violence incident"),
    ("rcollins", "wellbeing lead: support requests, every follow-up, cumulative exposure, debriefs"),
    ("aobrien", "team manager: her team's check-ins on the follow-ups board (/support/board/)"),
    ("jmorgan", "team manager: tactical lead for the child death incident"),
    ("bpatel", "social worker: member of the child death incident; a briefing in his inbox"),
    ("xlopez", "observer in the community violence incident"),
    ("fhussain", "youth worker threatened in the disorder: My support, a check-in to take or decline"),
    ("hsingh", "member of staff in no incident: sees nothing restricted"),
    ("admin", "system administrator (the admin site at /admin/)"),
]

@contextlib.contextmanager
def _as_of(moment: dt.datetime):
    """Write the demo's past as it would have been written then: the register was filled in days ago,
    so its check-ins fell due, and were completed or not, before today (its history says so too)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


# The Panel notification's clock (the playbook seeded by incidents/migrations/0005_playbooks.py): 5 working days
# from awareness.
PANEL_WORKING_DAYS = 5
# The least time left on the Panel's clock when the demo is loaded: less, and it would be overdue before
# anyone had looked; on a working day loaded in the evening it is due the next working day instead.
PANEL_LEAST_LEFT = dt.timedelta(hours=6)


def child_death_times(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(occurred_at, aware_at) for the demo child death: the organisation became aware at 07:40 on the working
    day from which the Panel's 5 working days end on the first working day (today, if it is one) with at least
    PANEL_LEAST_LEFT to go, so the Panel is due within about a working day. The child died in the night before.
    """
    local = now.astimezone(LONDON)
    due_day = local.date()
    while not is_working_day(due_day) or \
            dt.datetime.combine(due_day, END_OF_DAY, tzinfo=LONDON) - local < PANEL_LEAST_LEFT:
        due_day += dt.timedelta(days=1)
    aware_day = due_day
    for _ in range(PANEL_WORKING_DAYS):  # back to the working day whose 5th working day after is due_day
        aware_day -= dt.timedelta(days=1)
        while not is_working_day(aware_day):
            aware_day -= dt.timedelta(days=1)
    aware_at = dt.datetime.combine(aware_day, dt.time(7, 40), tzinfo=LONDON).astimezone(dt.UTC)
    return aware_at - dt.timedelta(hours=5, minutes=10), aware_at


def _pending(incident: Incident, code: str) -> Obligation | None:
    """The incident's pending obligation of this code, if its playbook gave it one (a demo database from
    before the statutory clocks has none)."""
    return Obligation.objects.filter(incident=incident, code=code, status=ObligationStatus.PENDING).first()


CHILD_DEATH_TITLE = "Death of a child known to the North team"
VIOLENCE_TITLE = "Disorder in the town centre and attack on the family hub"


class Command(BaseCommand):
    help = "Load the fictional demo organisation and two incidents (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo log-ins.")

    def handle(self, *args, quiet_logins: bool = False, **options):
        password = os.environ.get("HARBOUR_DEMO_PASSWORD") or DEMO_PASSWORD_DEFAULT
        with transaction.atomic():
            self._people(password)
            self._incidents()
        if not quiet_logins:
            self.stdout.write(f"\nDemo log-ins (password for all: {password})\n")
            for username, what in KEY_PEOPLE:
                self.stdout.write(f"  {username:<10} {what}")
            self.stdout.write("")

    def _people(self, password: str) -> None:
        lines = [",".join(COLUMNS)]
        for username, name, team, title, manager, roles in STAFF:
            cells = [username, f"{username}@harbour-demo.example", name, team, title, manager, roles]
            lines.append(",".join(f'"{c}"' for c in cells))
        import_staff("\n".join(lines) + "\n")
        # Hash once and share it: forty key derivations would add half a minute to `make run`.
        hashed = make_password(password)
        for user in User.objects.filter(username__in=[s[0] for s in STAFF]):
            if not user.has_usable_password():
                user.password = hashed
                user.save(update_fields=["password"])
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"full_name": "System Administrator", "email": "admin@harbour-demo.example"}
        )
        if created or not admin.has_usable_password():
            admin.is_staff = admin.is_superuser = True
            admin.set_password(password)
            admin.save()

    def _incidents(self) -> None:
        people = {u.username: u for u in User.objects.filter(username__in=[s[0] for s in STAFF])}
        now = timezone.now()
        if not Incident.objects.filter(title=CHILD_DEATH_TITLE).exists():
            self._child_death(people, now)
        if not Incident.objects.filter(title=VIOLENCE_TITLE).exists():
            self._community_violence(people, now)
        # Staff support came later than the incidents: added to a demo database that lacks it.
        for title, add in ((CHILD_DEATH_TITLE, self._child_death_support), (VIOLENCE_TITLE, self._violence_support)):
            incident = Incident.objects.get(title=title)
            if not incident.affected_staff.exists():
                add(incident, people, now)
        # So did the statutory clocks: the need-to-know ladder climbed and obligations resolved, once.
        for title, add in ((CHILD_DEATH_TITLE, self._child_death_clocks), (VIOLENCE_TITLE, self._violence_clocks)):
            incident = Incident.objects.get(title=title)
            if not incident.notifications.exists():
                add(incident, people, now)

    def _child_death_clocks(self, incident: Incident, p: dict[str, User], now: dt.datetime) -> None:
        lead, tactical = p["dhughes"], p["jmorgan"]
        # The team manager rang the Director as soon as the police had called: the Director obligation is done.
        clocks_services.notification_record(
            actor=tactical, incident_id=incident.pk, step="director", method="phone",
            person="Dana Hughes, Director of Children's Services", at=incident.aware_at + dt.timedelta(minutes=35))
        clocks_services.notification_record(
            actor=lead, incident_id=incident.pk, step="chief_executive", method="in_person",
            person="Morwenna Price, Chief Executive", at=incident.aware_at + dt.timedelta(hours=2))
        partners = _pending(incident, "safeguarding_partners_notified")
        if partners is not None:
            clocks_services.obligation_done(
                actor=tactical, obligation_id=partners.pk, done_at=min(incident.aware_at + dt.timedelta(hours=26), now),
                reference="Emailed the police and ICB safeguarding leads; partnership ref. NSP-0412")
        looked_after = _pending(incident, "looked_after_child_notification")
        if looked_after is not None:
            clocks_services.obligation_not_applicable(
                actor=lead, obligation_id=looked_after.pk,
                reason="The child lived at home with their parents on a child in need plan and was not looked "
                       "after, so the death is not one the Secretary of State and Ofsted are notified of under "
                       "the 2010 Regulations. Confirmed against the case record by the team manager.")
        # The Panel notification is left pending: due within about a working day (child_death_times).

    def _violence_clocks(self, incident: Incident, p: dict[str, User], now: dt.datetime) -> None:
        lead = p["mokafor"]
        clocks_services.notification_record(
            actor=lead, incident_id=incident.pk, step="director", method="phone",
            person="Dana Hughes, Director of Children's Services", at=incident.aware_at + dt.timedelta(minutes=50))
        clocks_services.notification_record(
            actor=lead, incident_id=incident.pk, step="ward_councillors", method="email",
            person="The three town centre ward councillors", at=incident.aware_at + dt.timedelta(hours=20))
        # The holding statement's clock started with the media enquiry hours ago and is left overdue.

    def _child_death_support(self, incident: Incident, p: dict[str, User], now: dt.datetime) -> None:
        lead = p["dhughes"]
        with _as_of(max(incident.aware_at + dt.timedelta(hours=2), now - dt.timedelta(days=1))):
            for username, exposure, reason in (
                ("bpatel", "allocated_worker", "Allocated social worker for the child"),
                ("aosei", "supporting_role", "Supervises the allocated worker"),
                ("cdonnelly", "team_colleague", "Covered a visit to the family last month"),
                ("rjones", "supporting_role", "Took the first call from the police"),
            ):
                support_services.register_add(actor=lead, incident_id=incident.pk, user=username,
                                              exposure=exposure, reason=reason)
        support_debriefing.debrief_schedule(
            actor=p["jmorgan"], incident_id=incident.pk, kind="hot",
            starts_at=support_debriefing.suggested_start(incident, "hot"), duration_minutes=60,
            location="Ash Room, Northgate House", facilitator="rcollins",
            invitees=["bpatel", "aosei", "cdonnelly", "efletcher", "iroberts"])
        debrief = incident.debriefs.get()
        support_debriefing.debrief_rsvp(actor=p["bpatel"], debrief_id=debrief.pk, response="accepted")
        support_debriefing.debrief_rsvp(actor=p["cdonnelly"], debrief_id=debrief.pk, response="tentative")
        briefing = incident.messages.filter(audience="teams").first()
        if briefing is not None:
            comms_releases.message_acknowledge(actor=p["efletcher"], message_id=briefing.pk, wants_support=True)

    def _violence_support(self, incident: Incident, p: dict[str, User], now: dt.datetime) -> None:
        lead = p["mokafor"]
        with _as_of(incident.aware_at + dt.timedelta(hours=20)):
            for username, exposure, reason, supporter in (
                ("cwilliams", "directly_involved", "Threatened on the way home from the hub", None),
                ("fhussain", "directly_involved", "Threatened on the way home from the hub", None),
                ("gthomas", "witnessed", "Was in the hub when the windows were broken", None),
                ("bnguyen", "supporting_role", "Meeting community groups after the disorder", "hkaur"),
            ):
                entry = support_services.register_add(actor=lead, incident_id=incident.pk, user=username,
                                                      exposure=exposure, reason=reason, supporter=supporter)
                if supporter is None:
                    # Their manager is the incident's tactical lead, so Harbour offered a wellbeing lead; the
                    # team chose their manager, as a person may.
                    support_services.register_choose_supporter(actor=p[username], entry_id=entry.pk,
                                                               supporter="aobrien", reason="Chose their manager")
        first = {f.person.username: f for f in FollowUp.objects.filter(incident=incident, label="72-hour check-in")
                 .select_related("person")}
        with _as_of(first["cwilliams"].due_at + dt.timedelta(hours=3)):
            support_services.follow_up_complete(actor=p["aobrien"], follow_up_id=first["cwilliams"].pk,
                                                outcome="support_offered", note="Prefers to talk to someone from "
                                                "outside the team; gave the EAP number and the peer network.")
            support_services.follow_up_complete(actor=p["aobrien"], follow_up_id=first["gthomas"].pk, outcome="ok")
        # fhussain's is left open: a working day overdue, so the wellbeing leads have been told.
        support_services.follow_up_reschedule(
            actor=p["hkaur"], follow_up_id=first["bnguyen"].pk,
            due_at=now + dt.timedelta(hours=3), reason="Moved to after the community meeting, as Bao asked")
        support_debriefing.debrief_schedule(
            actor=lead, incident_id=incident.pk, kind="cold", starts_at=support_debriefing.suggested_start(incident, "cold"),
            duration_minutes=90, location="Teams: https://teams.example/harbour-demo-cold-debrief", facilitator="hkaur",
            invitees=["aobrien", "cwilliams", "fhussain", "gthomas", "bnguyen"])

    def _child_death(self, p: dict[str, User], now: dt.datetime) -> None:
        lead = p["dhughes"]
        occurred_at, aware_at = child_death_times(now)
        incident = services.incident_open(
            actor=lead,
            title=CHILD_DEATH_TITLE,
            kind="child_death",
            severity="critical",
            occurred_at=occurred_at,
            aware_at=aware_at,
            summary=(
                "A child open to the North assessment team died at home overnight. Police are leading the "
                "investigation; cause not yet known. The family has been told by police. Details of the child "
                "and family are held in the case record only."
            ),
            restricted=True,
        )
        for username, role, reason in [
            ("jmorgan", "tactical_lead", "Team manager for the case; runs the response day to day"),
            ("lbrennan", "comms_lead", "Leads internal and external communications"),
            ("rcollins", "wellbeing_lead", "Support for the team and the allocated worker"),
            ("bpatel", "member", "Allocated social worker"),
            ("aosei", "member", "Practice supervisor for the allocated worker"),
            ("mokafor", "observer", "Assistant Director: kept informed"),
        ]:
            member_add(actor=lead, incident_id=incident.pk, user=p[username], role=role, reason=reason)
        services.decision_record(
            actor=lead, incident_id=incident.pk,
            decision="Notify the Child Safeguarding Practice Review Panel and the safeguarding partners.",
            rationale="Abuse or neglect cannot be ruled out and the child has died: the notification duty applies.",
            options_considered="Wait for the post-mortem (rejected: the 5 working day clock runs from awareness).",
            information="Police strategy discussion; case record.",
        )
        services.decision_record(
            actor=p["jmorgan"], incident_id=incident.pk,
            decision="Offer the allocated worker a hot debrief today; reallocate their visits this week.",
            rationale="Immediate welfare and practical needs come first; no retelling, no fault-finding.",
            options_considered="Carry on as usual (rejected).",
        )
        comms = p["lbrennan"]
        for value, kind in (("Kayden Hollins", "name"), ("Hollins", "name"), ("14 Marsh Lane", "address"),
                            ("Brookfield Primary", "school")):
            comms_protect.identifier_add(actor=comms, incident_id=incident.pk, value=value, kind=kind)
        comms_protect.family_informed_record(
            actor=lead, incident_id=incident.pk, informed_at=aware_at + dt.timedelta(hours=1),
            informed_by="Police family liaison officer", note="Told at home; a liaison officer is with the family.",
        )
        briefing = comms_services.message_draft(
            actor=comms, incident_id=incident.pk, audience="teams", teams=["Assessment and Intervention North"],
            subject="Sad news about a child known to the team",
            content_note="This message is about the death of a child the team worked with.",
            body="We are very sorry to tell you that a child the team has been working with has died. The police "
                 "are leading enquiries and we do not yet know what happened.\n\nPlease do not discuss the case "
                 "outside the team. A hot debrief is offered today at 4pm in the Ash Room: it is voluntary, and "
                 "nobody will be asked to go over what happened.\n\nIf you would like to talk to someone, tick the "
                 "box below or speak to Ruth Collins.",
        )
        comms_services.message_submit(actor=comms, message_id=briefing.pk)
        comms_services.message_approve(actor=p["jmorgan"], message_id=briefing.pk, version=1)
        comms_releases.message_release(actor=comms, message_id=briefing.pk)
        holding = comms_services.message_draft(
            actor=comms, incident_id=incident.pk, audience="holding_statement",
            subject="Statement from children's and families' services",
            body="We are deeply saddened to learn of the death of a child in our area. We are working closely with "
                 "the police and partner agencies. It would not be appropriate to comment further while enquiries "
                 "are under way. We will share more when we are able to.",
        )
        comms_services.message_submit(actor=comms, message_id=holding.pk)

    def _community_violence(self, p: dict[str, User], now: dt.datetime) -> None:
        lead = p["mokafor"]
        incident = services.incident_open(
            actor=lead,
            title=VIOLENCE_TITLE,
            kind="community_violence",
            severity="major",
            occurred_at=now - dt.timedelta(days=9, hours=4),
            aware_at=now - dt.timedelta(days=9, hours=3),
            summary=(
                "Disorder in the town centre over two evenings. The family hub's windows were broken and two "
                "early help staff were threatened on their way home. Hub closed for two days, now reopened."
            ),
            restricted=False,
        )
        for username, role, reason in [
            ("aobrien", "tactical_lead", "Manages the family hub and early help teams"),
            ("lbrennan", "comms_lead", "Public and partner messages"),
            ("rcollins", "wellbeing_lead", "Support for staff who were threatened, and racial trauma support"),
            ("bnguyen", "member", "Community engagement with local groups"),
            ("gthomas", "member", "Family hub coordinator"),
            ("xlopez", "observer", "Independent reviewing officer: children in care living nearby"),
        ]:
            member_add(actor=lead, incident_id=incident.pk, user=p[username], role=role, reason=reason)
        services.decision_record(
            actor=lead, incident_id=incident.pk,
            decision="Close the family hub for two days and move sessions to the library.",
            rationale="Staff and family safety while the police secure the area.",
            options_considered="Stay open with security (rejected: staff did not feel safe).",
            information="Police community impact assessment.",
        )
        services.decision_record(
            actor=p["aobrien"], incident_id=incident.pk,
            decision="Staff travel home in pairs or by taxi after evening sessions for two weeks.",
            rationale="Two staff were threatened walking home.",
            review_at=now + dt.timedelta(days=5),
        )
        comms = p["lbrennan"]
        member_add(actor=lead, incident_id=incident.pk, user=p["tadeyemi"], role="member",
                            reason="Second communications officer for approvals")
        briefing = comms_services.message_draft(
            actor=comms, incident_id=incident.pk, audience="all_staff",
            subject="The disorder in the town centre: what it means for you",
            content_note="This message describes threats made to colleagues.",
            body="Two colleagues were threatened on their way home from the family hub. They are safe and being "
                 "supported. The hub reopened on Monday.\n\nUntil further notice, please travel in pairs or by "
                 "taxi after evening sessions; the cost will be met. If what has happened has affected you, support "
                 "is available, including from people with shared experience.",
        )
        comms_services.message_submit(actor=comms, message_id=briefing.pk)
        comms_services.message_approve(actor=p["aobrien"], message_id=briefing.pk, version=1)
        comms_releases.message_release(actor=comms, message_id=briefing.pk)
        statement = comms_services.message_draft(
            actor=comms, incident_id=incident.pk, audience="press_statement",
            subject="Family hub reopens",
            body="The family hub has reopened after last week's disorder. Staff safety is our priority and we are "
                 "working with the police and community groups. Families can use the hub as usual.",
        )
        comms_services.message_submit(actor=comms, message_id=statement.pk)
        comms_services.message_approve(actor=lead, message_id=statement.pk, version=1)
        comms_services.message_approve(actor=p["tadeyemi"], message_id=statement.pk, version=1)
        # Logged as it came in, five hours ago: the holding statement's one-hour clock started then.
        with _as_of(now - dt.timedelta(hours=4, minutes=50)):
            comms_media.media_enquiry_log(
                actor=comms, incident_id=incident.pk, outlet="Northtown Gazette", journalist="Sam Reed",
                contact="newsdesk@gazette.example", received_at=now - dt.timedelta(hours=5),
                deadline=now - dt.timedelta(hours=1), question="Were council staff attacked, and is the hub safe?",
            )
        services.incident_transition(
            actor=lead, incident_id=incident.pk, status=IncidentStatus.STABILISING,
            reason="Hub reopened; no further disorder for three days.",
        )
