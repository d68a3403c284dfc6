"""What seed_large writes: its sizes, weights and words (names, titles, decisions, messages), and small
helpers for them."""

from __future__ import annotations

from comms.models import (
    Audience,
    MessageStatus,
)
from incidents.models import IncidentKind, IncidentStatus, MemberRole
from people.models import OrgRole

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


