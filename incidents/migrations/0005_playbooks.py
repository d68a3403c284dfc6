"""The playbooks Harbour starts with: the statutory and local clocks each kind of incident starts, and its
need-to-know ladder. Administrators change them in the admin; an incident copies them when it opens.

Sources (../shared/research/domain-sources.md): Working Together to Safeguard Children 2023, ch. 5 (the
Panel within 5 working days, the rapid review within 15); the Care Planning, Placement and Case Review
(England) Regulations 2010 (the death of a looked-after child); the Care Act 2014 s.44 (safeguarding adults
reviews); the CQC (Registration) Regulations 2009 regs 16 and 18; RIDDOR 2013 reg. 4.
"""

from django.db import migrations

HOLDING = dict(
    code="holding_statement_ready", title="Have a holding statement ready",
    basis="Local communications protocol: a first holding statement within about an hour of media interest.",
    responsible_role="comms_lead", clock="hours", amount=1, starts="media_enquiry",
)


def director(service: str) -> dict:
    return dict(
        code="director_informed", title=f"Tell the {service}",
        basis="Local need-to-know protocol: the Director is told the same working day the organisation "
              "becomes aware.",
        responsible_role="lead", clock="working_days", amount=0,
    )


CHILDREN = [
    director("Director of Children's Services"),
    dict(code="panel_notification", title="Notify the Child Safeguarding Practice Review Panel",
         basis="Children Act 2004 s.16C; Working Together to Safeguard Children 2023, ch. 5: notify the Panel "
               "within 5 working days of becoming aware of a serious child safeguarding incident.",
         responsible_role="lead", clock="working_days", amount=5),
    dict(code="safeguarding_partners_notified", title="Tell the safeguarding partners",
         basis="Working Together to Safeguard Children 2023, ch. 5: the local authority tells the safeguarding "
               "partners within the same 5 working days.",
         responsible_role="tactical_lead", clock="working_days", amount=5),
    dict(code="rapid_review", title="Complete the rapid review",
         basis="Working Together to Safeguard Children 2023, ch. 5: the safeguarding partners complete a rapid "
               "review, target 15 working days from becoming aware (the start may be set to the Panel "
               "notification instead).",
         responsible_role="tactical_lead", clock="working_days", amount=15),
    dict(code="looked_after_child_notification", title="Notify the Secretary of State and Ofsted",
         basis="Care Planning, Placement and Case Review (England) Regulations 2010: the death of a looked-after "
               "child is notified to the Secretary of State and Ofsted without delay, whether or not abuse or "
               "neglect is suspected.",
         responsible_role="lead", clock="without_delay", amount=4,
         applies_when="Only if the child was looked after."),
    HOLDING,
]

ADULTS = [
    director("Director of Adult Social Services"),
    dict(code="sar_referral_considered", title="Consider a Safeguarding Adults Review referral",
         basis="Care Act 2014 s.44; the Safeguarding Adults Board's procedure (local target): a referral for a "
               "Safeguarding Adults Review is considered within 5 working days.",
         responsible_role="tactical_lead", clock="working_days", amount=5),
    dict(code="cqc_notification", title="Notify the Care Quality Commission",
         basis="Care Quality Commission (Registration) Regulations 2009, regs 16 and 18: a registered service "
               "notifies CQC of a death or serious injury without delay.",
         responsible_role="lead", clock="without_delay", amount=4,
         applies_when="Only when a CQC-registered service is involved."),
    HOLDING,
]

STAFF_ASSAULT = [
    director("Director of the service"),
    dict(code="riddor_specified_injury", title="Report the specified injury to HSE (RIDDOR)",
         basis="RIDDOR 2013 reg. 4(1): a specified injury to a worker from a work-related assault is notified "
               "to HSE without delay and reported within 10 days of the incident.",
         responsible_role="tactical_lead", clock="calendar_days", amount=10, starts="occurred_at",
         applies_when="Only if the injury is a specified injury (a fracture, an amputation, loss of sight…)."),
    dict(code="riddor_over_seven_days", title="Report the over-seven-day injury to HSE (RIDDOR)",
         basis="RIDDOR 2013 reg. 4(2): an injury that keeps a worker from their normal work for more than seven "
               "days is reported within 15 days of the incident.",
         responsible_role="tactical_lead", clock="calendar_days", amount=15, starts="occurred_at",
         applies_when="Only if they are off, or unable to do their normal work, for more than seven days."),
    HOLDING,
]

OTHER = [director("Director of the service"), HOLDING]


def ladder(lead_member: str, regulator: str | None, *extra: tuple[str, str]) -> list[tuple[str, str, str]]:
    steps = [("director", "Director", "director_informed"), ("chief_executive", "Chief Executive", ""),
             ("lead_member", lead_member, "")]
    if regulator:
        steps.append(("regulator", regulator, ""))
    return steps + [(code, title, "") for code, title in extra]


PLAYBOOKS = {
    "child_death": ("Death of a child", CHILDREN, ladder("Lead Member for Children's Services", "Ofsted")),
    "child_serious_harm": ("Serious harm to a child", CHILDREN,
                           ladder("Lead Member for Children's Services", "Ofsted")),
    "adult_death": ("Death of an adult with care needs", ADULTS,
                    ladder("Lead Member for Adult Social Care", "Care Quality Commission")),
    "adult_serious_harm": ("Serious harm to an adult with care needs", ADULTS,
                           ladder("Lead Member for Adult Social Care", "Care Quality Commission")),
    "community_violence": ("Community violence or disorder", OTHER,
                           ladder("Leader of the Council", None, ("ward_councillors", "Ward councillors"))),
    "staff_assault": ("Assault on a member of staff", STAFF_ASSAULT,
                      ladder("Lead Member for the service", "Health and Safety Executive")),
    "other": ("Other serious incident", OTHER, ladder("Lead Member for the service", None)),
}


def seed(apps, schema_editor):
    Playbook = apps.get_model("incidents", "Playbook")
    PlaybookObligation = apps.get_model("incidents", "PlaybookObligation")
    PlaybookStep = apps.get_model("incidents", "PlaybookStep")
    for kind, (title, obligations, steps) in PLAYBOOKS.items():
        playbook, _ = Playbook.objects.get_or_create(kind=kind, defaults={"title": title})
        for position, item in enumerate(obligations, start=1):
            PlaybookObligation.objects.get_or_create(playbook=playbook, code=item["code"],
                                                     defaults={**item, "position": position})
        for position, (code, step_title, completes) in enumerate(steps, start=1):
            PlaybookStep.objects.get_or_create(playbook=playbook, code=code, defaults={
                "title": step_title, "completes": completes, "position": position})


class Migration(migrations.Migration):
    dependencies = [("incidents", "0004_statutory_clocks")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
