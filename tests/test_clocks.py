"""Statutory clocks (issue 10): playbooks, obligations counted in working days, the need-to-know ladder, and
reminders said exactly once. Fixed dates cross Christmas and New Year, Easter, the May and August bank
holidays, both clock changes and a weekend."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from clocks import services, tasks
from clocks.models import Notification, Obligation, Playbook, PlaybookObligation
from comms import media as comms_media
from core.errors import Conflict, Http404, InvalidInput, PermissionDenied
from core.models import Email, Notice
from incidents import services as incident_services
from incidents.models import Decision, IncidentKind, TimelineEvent
from tests.clock import at
from tests.factories import open_incident

LONDON = ZoneInfo("Europe/London")


def london(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)



def opened(cast, aware: dt.datetime, kind: str = "child_death", occurred: dt.datetime | None = None):
    return incident_services.incident_open(
        actor=cast.alice, title="A serious incident", kind=kind, severity="critical",
        occurred_at=occurred or aware - dt.timedelta(hours=2), aware_at=aware, summary="What is known.")


def due(incident, code: str) -> dt.datetime | None:
    value = Obligation.objects.get(incident=incident, code=code).due_at
    return value and value.astimezone(LONDON)


def events(incident, type_: str) -> list[str]:
    return list(TimelineEvent.objects.filter(incident=incident, type=type_).values_list("summary", flat=True))


# --- playbooks ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_kind_has_a_playbook_with_the_statutory_obligations():
    codes = {p.kind: set(p.obligations.values_list("code", flat=True)) for p in Playbook.objects.all()}
    assert set(codes) == set(IncidentKind.values)
    for kind in ("child_death", "child_serious_harm"):
        assert {"panel_notification", "safeguarding_partners_notified", "rapid_review",
                "looked_after_child_notification"} <= codes[kind]
    for kind in ("adult_death", "adult_serious_harm"):
        assert {"sar_referral_considered", "cqc_notification"} <= codes[kind]
    assert {"riddor_specified_injury", "riddor_over_seven_days"} <= codes["staff_assault"]
    for kind, found in codes.items():
        assert {"director_informed", "holding_statement_ready"} <= found, kind
        ladder = set(Playbook.objects.get(kind=kind).ladder.values_list("code", flat=True))
        assert {"director", "chief_executive", "lead_member"} <= ladder


# --- due times ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("aware", "code", "expected"), [
    # Easter 2026: Good Friday 3 April and Easter Monday 6 April are skipped.
    (london(2026, 4, 1, 10), "panel_notification", london(2026, 4, 10, 23, 59)),
    (london(2026, 4, 1, 10), "rapid_review", london(2026, 4, 24, 23, 59)),
    # Christmas and New Year: 25, 26 December and 1 January are bank holidays.
    (london(2025, 12, 23, 16), "panel_notification", london(2026, 1, 2, 23, 59)),
    (london(2025, 12, 25, 9), "director_informed", london(2025, 12, 29, 23, 59)),
    # The August bank holiday (31 August 2026) and the early May one (4 May 2026).
    (london(2026, 8, 27, 11), "panel_notification", london(2026, 9, 4, 23, 59)),
    (london(2026, 4, 30, 11), "safeguarding_partners_notified", london(2026, 5, 8, 23, 59)),
    # The spring bank holiday (25 May 2026).
    (london(2026, 5, 22, 11), "panel_notification", london(2026, 6, 1, 23, 59)),
    # The clocks go forward on 29 March 2026: due in British Summer Time, after Easter.
    (london(2026, 3, 27, 10), "panel_notification", london(2026, 4, 7, 23, 59)),
    # The clocks go back on 25 October 2026: due in Greenwich Mean Time.
    (london(2026, 10, 23, 15), "panel_notification", london(2026, 10, 30, 23, 59)),
    # Aware at the weekend: day 0 is Saturday; the Director the next working day.
    (london(2026, 3, 7, 20), "panel_notification", london(2026, 3, 13, 23, 59)),
    (london(2026, 3, 7, 20), "director_informed", london(2026, 3, 9, 23, 59)),
    (london(2026, 3, 9, 8), "director_informed", london(2026, 3, 9, 23, 59)),
])
@pytest.mark.across_the_week
def test_obligations_fall_due_in_working_days(cast, aware, code, expected):
    incident = opened(cast, aware)
    assert due(incident, code) == expected
    assert due(incident, code).utcoffset() == expected.utcoffset()


@pytest.mark.across_the_week
@pytest.mark.django_db
def test_riddor_counts_calendar_days_from_the_incident_itself_across_the_autumn_clock_change(cast):
    incident = opened(cast, london(2026, 10, 26, 9), kind="staff_assault", occurred=london(2026, 10, 24, 22))
    assert due(incident, "riddor_specified_injury") == london(2026, 11, 3, 23, 59)
    assert due(incident, "riddor_over_seven_days") == london(2026, 11, 8, 23, 59)
    assert due(incident, "riddor_specified_injury").utcoffset() == dt.timedelta(0)


@pytest.mark.across_the_week
@pytest.mark.django_db
def test_without_delay_is_shown_as_such_with_a_reminder_after_its_hours(cast):
    incident = opened(cast, london(2026, 6, 10, 9, 30))
    obligation = Obligation.objects.get(incident=incident, code="looked_after_child_notification")
    assert obligation.clock == "without_delay" and obligation.applies_when
    assert obligation.due_at == london(2026, 6, 10, 13, 30)
    assert "without delay" in services.due_words(obligation)


@pytest.mark.across_the_week
@pytest.mark.django_db
def test_the_reminder_comes_one_working_day_before_in_office_hours(cast):
    incident = opened(cast, london(2026, 4, 1, 10))
    panel = Obligation.objects.get(incident=incident, code="panel_notification")
    # Due 23:59 Friday 10 April; a working day before is 23:59 Thursday, which the office reads at 08:00 Friday.
    assert panel.remind_at.astimezone(LONDON) == london(2026, 4, 10, 8, 0)
    holding = Obligation.objects.get(incident=incident, code="holding_statement_ready")
    assert holding.due_at is None and holding.remind_at is None  # no media interest yet


# --- the holding statement's clock -------------------------------------------------------------------------


def log_enquiry(cast, incident):
    return comms_media.media_enquiry_log(
        actor=cast.cora, incident_id=incident.pk, outlet="The Echo", journalist="J. Reporter",
        contact="01234 567890", received_at=timezone.now(), question="Can you confirm?")


@pytest.mark.across_the_week
@pytest.mark.django_db
def test_the_first_media_enquiry_starts_the_holding_statement_clock_and_only_the_first(cast, incident):
    holding = Obligation.objects.get(incident=incident, code="holding_statement_ready")
    assert holding.started_at is None
    before = timezone.now()
    log_enquiry(cast, incident)
    holding.refresh_from_db()
    assert before <= holding.started_at <= timezone.now()
    assert holding.due_at == holding.started_at + dt.timedelta(minutes=60)
    assert len(events(incident, "obligation.started")) == 1
    log_enquiry(cast, incident)
    again = Obligation.objects.get(pk=holding.pk)
    assert again.due_at == holding.due_at and len(events(incident, "obligation.started")) == 1


# --- recomputing -------------------------------------------------------------------------------------------


@pytest.mark.across_the_week
@pytest.mark.django_db
def test_changing_awareness_recomputes_the_pending_and_says_so(cast):
    incident = opened(cast, london(2026, 4, 1, 10))
    director = Obligation.objects.get(incident=incident, code="director_informed")
    services.obligation_done(actor=cast.alice, obligation_id=director.pk, reference="Told in person",
                             done_at=london(2026, 4, 1, 12))
    incident_services.incident_update(actor=cast.alice, incident_id=incident.pk, changes={"occurred_at": london(2026, 3, 27, 8), "aware_at": london(2026, 3, 27, 10)})
    assert due(incident, "panel_notification") == london(2026, 4, 7, 23, 59)
    assert due(incident, "director_informed") == london(2026, 4, 1, 23, 59)  # done: as recorded
    (summary,) = events(incident, "obligation.recomputed")
    assert "the time of awareness and the time it happened changed" in summary and "Notify the Child Safeguarding" in summary
    assert "Tell the Director" not in summary


@pytest.mark.across_the_week
@pytest.mark.django_db
def test_changing_the_kind_withdraws_what_no_longer_applies_and_adds_what_does(cast):
    incident = opened(cast, london(2026, 4, 1, 10))
    director = Obligation.objects.get(incident=incident, code="director_informed")
    services.obligation_done(actor=cast.alice, obligation_id=director.pk, reference="Told", done_at=london(2026, 4, 1, 12))
    incident_services.incident_update(actor=cast.alice, incident_id=incident.pk, changes={"kind": "staff_assault"})
    codes = set(incident.obligations.values_list("code", flat=True))
    assert codes == {"director_informed", "riddor_specified_injury", "riddor_over_seven_days", "holding_statement_ready"}
    assert Obligation.objects.get(pk=director.pk).status == "done"
    (summary,) = events(incident, "obligation.recomputed")
    assert "withdrawn: Notify the Child Safeguarding Practice Review Panel" in summary
    assert "added: Report the specified injury" in summary
    # The withdrawn one's deletion is in its history, in the lead's name.
    assert Obligation.history.filter(code="panel_notification", history_type="-", history_user=cast.alice).exists()


@pytest.mark.across_the_week
@pytest.mark.django_db
def test_a_rapid_review_may_start_when_the_panel_is_notified(cast):
    PlaybookObligation.objects.filter(playbook__kind="child_death", code="rapid_review").update(
        starts="obligation", after="panel_notification")
    incident = opened(cast, london(2026, 4, 1, 10))
    assert due(incident, "rapid_review") is None
    panel = Obligation.objects.get(incident=incident, code="panel_notification")
    services.obligation_done(actor=cast.alice, obligation_id=panel.pk, reference="CSPRP-123",
                             done_at=london(2026, 4, 8, 15))
    assert due(incident, "rapid_review") == london(2026, 4, 29, 23, 59)  # 15 working days from 8 April
    (summary,) = events(incident, "obligation.done")
    assert "CSPRP-123" in summary and "Complete the rapid review is now due" in summary


# --- done and not applicable -------------------------------------------------------------------------------


@pytest.fixture
def panel(incident):
    return Obligation.objects.get(incident=incident, code="panel_notification")


@pytest.mark.across_the_week
@pytest.mark.django_db
def test_the_lead_records_an_obligation_done_with_its_reference(cast, incident, panel):
    services.obligation_done(actor=cast.tom, obligation_id=panel.pk, reference="CSPRP-2026-0042")
    panel.refresh_from_db()
    assert (panel.status, panel.done_by, panel.reference) == ("done", cast.tom, "CSPRP-2026-0042")
    assert panel.history.first().history_user == cast.tom
    (summary,) = events(incident, "obligation.done")
    assert "Tom Tactical" in summary and "CSPRP-2026-0042" in summary
    with pytest.raises(Conflict, match="already done"):
        services.obligation_done(actor=cast.alice, obligation_id=panel.pk, reference="again")


@pytest.mark.django_db
def test_the_role_the_playbook_names_may_complete_its_obligation_and_no_other(cast, incident):
    log_enquiry(cast, incident)
    holding = Obligation.objects.get(incident=incident, code="holding_statement_ready")
    panel = Obligation.objects.get(incident=incident, code="panel_notification")
    with pytest.raises(PermissionDenied):
        services.obligation_done(actor=cast.cora, obligation_id=panel.pk, reference="x")
    services.obligation_done(actor=cast.cora, obligation_id=holding.pk, reference="Holding line 1 approved")
    for person in (cast.bob, cast.olive, cast.sam):
        with pytest.raises(PermissionDenied):
            services.obligation_done(actor=person, obligation_id=panel.pk, reference="x")
    with pytest.raises(Http404):
        services.obligation_done(actor=cast.charlie, obligation_id=panel.pk, reference="x")


@pytest.mark.django_db
def test_restricted_obligations_do_not_exist_for_outsiders(cast, restricted):
    hidden = Obligation.objects.filter(incident=restricted).first()
    for person in (cast.sam, cast.charlie):
        with pytest.raises(Http404) as found:
            services.obligation_done(actor=person, obligation_id=hidden.pk, reference="x")
        with pytest.raises(Http404) as absent:
            services.obligation_done(actor=person, obligation_id=999999, reference="x")
        assert str(found.value) == str(absent.value)


@pytest.mark.django_db
@pytest.mark.parametrize(("values", "field"), [
    ({"reference": ""}, "reference"),
    ({"reference": "x" * 201}, "reference"),
    ({"reference": ["a"]}, "reference"),
    ({"reference": "ok", "done_at": "tomorrow"}, "done_at"),  # in the future, read when the test runs
    ({"reference": "ok", "done_at": dt.datetime(2026, 1, 1, 9)}, "done_at"),  # no time zone
    ({"reference": "ok", "done_at": london(2000, 1, 1)}, "done_at"),  # before it happened
])
def test_bad_input_is_refused_and_changes_nothing(cast, incident, panel, values, field):
    if values.get("done_at") == "tomorrow":
        values = {**values, "done_at": timezone.now() + dt.timedelta(days=1)}
    with pytest.raises(InvalidInput) as refused:
        services.obligation_done(actor=cast.alice, obligation_id=panel.pk, **values)
    assert field in refused.value.errors
    panel.refresh_from_db()
    assert panel.status == "pending" and not events(incident, "obligation.done")


@pytest.mark.across_the_week
@pytest.mark.django_db
def test_not_applicable_is_a_decision_in_the_log(cast, incident):
    looked_after = Obligation.objects.get(incident=incident, code="looked_after_child_notification")
    services.obligation_not_applicable(actor=cast.alice, obligation_id=looked_after.pk,
                                       reason="The child lived with their parents; not looked after.")
    looked_after.refresh_from_db()
    assert looked_after.status == "not_applicable" and looked_after.decision is not None
    entry = Decision.objects.get(pk=looked_after.decision_id)
    assert entry.decision == "Notify the Secretary of State and Ofsted does not apply to this incident."
    assert entry.rationale.startswith("The child lived") and entry.decided_by == cast.alice
    (summary,) = events(incident, "obligation.not_applicable")
    assert f"decision {entry.number}" in summary
    with pytest.raises(InvalidInput):
        services.obligation_not_applicable(
            actor=cast.alice, obligation_id=Obligation.objects.get(incident=incident, code="rapid_review").pk,
            reason="  ")


# --- the need-to-know ladder -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_telling_the_director_climbs_the_ladder_and_fulfils_the_obligation(cast, incident):
    told = timezone.now() - dt.timedelta(hours=1)
    services.notification_record(actor=cast.alice, incident_id=incident.pk, step="director",
                                 person="Dana Director, DCS", method="phone", at=told)
    director = Obligation.objects.get(incident=incident, code="director_informed")
    assert director.status == "done" and director.done_at == told and "Dana Director" in director.reference
    (summary,) = events(incident, "notification.recorded")
    assert summary.startswith("Director told: Dana Director, DCS, by phone")
    with pytest.raises(Conflict, match="already recorded"):
        services.notification_record(actor=cast.tom, incident_id=incident.pk, step="director",
                                     person="Someone else", method="email")
    assert Notification.objects.filter(incident=incident).count() == 1


@pytest.mark.django_db
def test_the_ladder_refuses_unknown_steps_outsiders_and_members(cast, incident):
    with pytest.raises(InvalidInput) as refused:
        services.notification_record(actor=cast.alice, incident_id=incident.pk, step="the_pope",
                                     person="x", method="pigeon")
    assert set(refused.value.errors) == {"step", "method"}
    with pytest.raises(PermissionDenied):
        services.notification_record(actor=cast.bob, incident_id=incident.pk, step="director", person="x",
                                     method="phone")
    with pytest.raises(Http404):
        services.notification_record(actor=cast.charlie, incident_id=incident.pk, step="director", person="x",
                                     method="phone")
    assert not Notification.objects.exists()


# --- reminders ---------------------------------------------------------------------------------------------


def reminders() -> list[tuple[str, str]]:
    said = Notice.objects.filter(kind__startswith="clocks.").values_list("recipient__username", "kind")
    return sorted((username, kind.removeprefix("clocks.")) for username, kind in said)


def reminders_of(obligation: Obligation):
    return Notice.objects.filter(kind__startswith="clocks.", about_id=obligation.pk)


@pytest.mark.across_the_week
@pytest.mark.django_db(transaction=True)
def test_reminders_are_said_once_each_to_the_right_people(cast, incident, panel):
    assert tasks.obligation_remind.call(panel.pk) == "nothing due"
    with at(panel.remind_at + dt.timedelta(minutes=1)):
        assert tasks.obligation_remind.call(panel.pk) == "said due soon"
        assert tasks.obligation_remind.call(panel.pk) == "nothing due"
    assert reminders() == [("alice", "due_soon")]  # the lead is responsible for the Panel
    with at(panel.due_at + dt.timedelta(minutes=1)):
        assert tasks.obligation_remind.call(panel.pk) == "said overdue"
        assert tasks.obligation_remind.call(panel.pk) == "nothing due"
    assert reminders() == [("alice", "due_soon"), ("alice", "overdue"), ("tom", "overdue")]
    assert len(events(incident, "obligation.due_soon")) == 1 and len(events(incident, "obligation.overdue")) == 1
    assert Email.objects.filter(kind="clocks").count() == 3
    assert Email.objects.filter(kind="clocks", to="tom@example.org", subject__startswith=incident.reference).exists()


@pytest.mark.across_the_week
@pytest.mark.django_db(transaction=True)
def test_the_responsible_role_is_told_it_is_due_and_command_that_it_is_overdue(cast, incident):
    log_enquiry(cast, incident)
    holding = Obligation.objects.get(incident=incident, code="holding_statement_ready")
    with at(holding.due_at + dt.timedelta(minutes=1)):
        assert tasks.obligation_remind.call(holding.pk) == "said overdue"
    assert reminders() == [("alice", "overdue"), ("cora", "due"), ("tom", "overdue")]


@pytest.mark.django_db(transaction=True)
def test_a_responsible_role_no_member_can_hold_falls_back_to_command(cast, incident, panel):
    """A playbook row edited outside the admin names a role that does not exist: the reminder still goes,
    to the lead and tactical lead, rather than the worker failing on it."""
    Obligation.objects.filter(pk=panel.pk).update(responsible_role="chief")
    with at(panel.remind_at + dt.timedelta(minutes=1)):
        assert tasks.obligation_remind.call(panel.pk) == "said due soon"
    assert reminders() == [("alice", "due_soon"), ("tom", "due_soon")]


@pytest.mark.across_the_week
@pytest.mark.django_db(transaction=True)
def test_a_recomputed_due_time_is_said_again_and_a_done_one_never(cast):
    incident = open_incident(cast)
    panel = Obligation.objects.get(incident=incident, code="panel_notification")
    with at(panel.remind_at + dt.timedelta(minutes=1)):
        tasks.obligation_remind.call(panel.pk)
    # A week earlier moves every working-day deadline, whatever day it is now (a day earlier does not move
    # one across a weekend: this test once failed every week from Sunday 05:00 to Monday 05:00).
    incident_services.incident_update(actor=cast.alice, incident_id=incident.pk,
                             changes={"occurred_at": incident.occurred_at - dt.timedelta(days=7),
                                      "aware_at": incident.aware_at - dt.timedelta(days=7)})
    panel.refresh_from_db()
    with at(panel.remind_at + dt.timedelta(minutes=1)):
        assert tasks.obligation_remind.call(panel.pk) == "said due soon"
    assert reminders() == [("alice", "due_soon"), ("alice", "due_soon")]
    services.obligation_done(actor=cast.alice, obligation_id=panel.pk, reference="Done")
    with at(panel.due_at + dt.timedelta(days=1)):
        assert tasks.obligation_remind.call(panel.pk) == "closed"
        services.sweep_due()  # says what the other obligations owe, nothing more of this one
    assert reminders_of(panel).count() == 2


@pytest.mark.across_the_week
@pytest.mark.django_db(transaction=True)
def test_the_sweep_says_what_a_lost_task_did_not(cast, incident, panel):
    with at(panel.due_at + dt.timedelta(hours=1)):
        assert services.sweep_due() >= 1
        first = reminders()
        services.sweep_due()
        assert reminders() == first
    assert ("tom", "overdue") in reminders()
    assert not reminders_of(panel).filter(kind="clocks.due_soon").exists()  # past due: no "soon"


@pytest.mark.across_the_week
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (make test-production runs it)")
def test_two_workers_at_once_say_it_once(cast, incident, panel):
    count = 6
    barrier = threading.Barrier(count)
    results, errors = [], []

    def work():
        try:
            barrier.wait(timeout=10)
            results.append(tasks.obligation_remind.call(panel.pk))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            close_old_connections()

    with at(panel.due_at + dt.timedelta(minutes=5)):  # patched once, here: never inside the threads
        threads = [threading.Thread(target=work) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    assert results.count("said overdue") == 1 and results.count("nothing due") == count - 1
    assert reminders() == [("alice", "overdue"), ("tom", "overdue")]
    assert len(events(incident, "obligation.overdue")) == 1
