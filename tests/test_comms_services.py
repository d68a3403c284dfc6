"""Communications services: versions, the approval rules, every release gate both ways, embargoes,
delivery with retries, acknowledgements and the media log."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from comms import media as comms_media
from comms import protect as comms_protect
from comms import releases as comms_releases
from comms import services
from comms.identifiers import matches
from comms.models import Approval, InboxItem, Message, MessageVersion
from core import outbox
from core.errors import Conflict, GateRefused, InvalidInput
from core.models import Email
from incidents.models import Decision, TimelineEvent
from support.models import SupportRequest
from tests.clock import at
from tests.factories import open_incident

pytestmark = pytest.mark.django_db


def draft(cast, incident, *, by=None, audience="all_staff", subject="Briefing", body="Plain facts.", **extra):
    return services.message_draft(actor=by or cast.alice, incident_id=incident.pk, audience=audience,
                                  subject=subject, body=body, **extra)


def approve_fully(cast, message):
    services.message_submit(actor=cast.alice, message_id=message.pk)
    services.message_approve(actor=cast.cora, message_id=message.pk, version=message.version)
    message.refresh_from_db()
    if message.status != "approved":
        services.message_approve(actor=cast.tom, message_id=message.pk, version=message.version)
        message.refresh_from_db()
    return message


def released_briefing(cast, incident):
    briefing = approve_fully(cast, draft(cast, incident, subject="To the North team"))
    return comms_releases.message_release(actor=cast.cora, message_id=briefing.pk)


def emails_of(message):
    """Every email about the message: its deliveries, and any to staff about it."""
    return Email.objects.filter(kind__in=("comms.delivery", "comms.notice"), about_id=message.pk)


def types(incident):
    return list(TimelineEvent.objects.filter(incident=incident).order_by("id").values_list("type", flat=True))


class TestIdentifierMatching:
    @pytest.mark.parametrize("text", ["Smith's family", "SMITH, said", "the smith-jones case", "Mr. Smith.",
                                      "smith", "“Smith”", "(smith)"])
    def test_matches_whole_words_through_punctuation(self, text):
        assert matches(text, ["Smith"]) == ["Smith"]

    # "Smiths" is now the plural of "Smith", and found (issue 18): tests/test_identifiers.py.
    @pytest.mark.parametrize("text", ["Smithson said", "blacksmith", ""])
    def test_does_not_match_inside_other_words(self, text):
        assert matches(text, ["Smith"]) == []

    def test_multi_word_and_accents(self):
        assert matches("near 12 ACACIA avenue, Leeds", ["12 Acacia Avenue"]) == ["12 Acacia Avenue"]
        assert matches("Zoe's school", ["Zoë"]) == ["Zoë"]
        assert matches("St. Mary's Primary", ["St Mary's Primary"]) == ["St Mary's Primary"]

    # Each way a name could be typed, pasted or disguised so that a reader still reads it.
    @pytest.mark.parametrize("text", [
        "The Sm\u200bith family",  # zero-width space
        "The Smi\u00adth family",  # soft hyphen, as text pasted from Word carries
        "The Smit\u2060h family",  # word joiner
        "The S\u200dmith family",  # zero-width joiner
        "The Sm\ufeffith family",  # byte-order mark
        "The Sm\u0456th family",  # Cyrillic і
        "The \u0455mith family",  # Cyrillic ѕ
        "The Smit\u04bb family",  # Cyrillic һ
        "The Sm\u0131th family",  # dotless ı
        "The ＳＭＩＴＨ family",  # full-width letters
        "The 𝐒𝐦𝐢𝐭𝐡 family",  # mathematical bold
        "The Smíth family",  # an accent
        "The S m i t h family",  # spaced out
        "The S.M.I.T.H. family",  # dotted out
        "The S-m-i-t-h family",
        "We spoke to a S m i t h today",  # a single-letter word beside the spelled-out name
        "I S.M.I.T.H",
        "S m i t h's mother",
        "the S m i t h s",
        "The Sm\u3164ith family",  # Hangul filler
        "The Sm\u034fith family",  # combining grapheme joiner
        "The Smi\u17b4th family",
        "The Smit\ufe0fh family",  # variation selector
    ])
    def test_sees_through_evasions(self, text):
        assert matches(text, ["Smith"]) == ["Smith"]

    def test_a_spelled_out_full_name(self):
        assert matches("Thinking of J o S m i t h today", ["Jo Smith"]) == ["Jo Smith"]

    @pytest.mark.parametrize("disguised", ["J\u043ehnson Road", "Johns\u03bfn Road", "J\u043ehns\u03bfn R\u043ead"])
    def test_look_alikes_in_the_identifier_or_the_text(self, disguised):
        assert matches(f"She lives on {disguised}.", ["Johnson Road"]) == ["Johnson Road"]
        assert matches("She lives on Johnson Road.", [disguised]) == [disguised]

    @pytest.mark.parametrize("text, name", [
        ("The Hillside estate", "Hill"), ("blacksmith", "Smith"), ("Alison said", "Ali"),
        ("the deanery", "Dean"), ("a to z of services", "Az"),
        ("Her mother Anne", "Ann"), ("I am at the office", "Iam"), ("The Smith-son case", "Smithson"),
        ("Seen in A & E", "Ae"), ("E.D. notes", "Ed"), ("a b c of safeguarding", "Abcd"),
    ])
    def test_false_positives_that_must_not_fire(self, text, name):
        assert matches(text, [name]) == []


class TestDrafting:
    def test_draft_makes_version_one(self, cast, incident):
        message = draft(cast, incident, content_note="Talks about a child's death")
        version = MessageVersion.objects.get(message=message)
        assert (message.status, message.version, version.number) == ("draft", 1, 1)
        assert len(version.content_hash) == 64
        assert types(incident)[-1] == "message.drafted"

    def test_who_may_draft(self, cast, incident):
        for who in (cast.alice, cast.tom, cast.cora):
            draft(cast, incident, by=who)
        for who in (cast.bob, cast.olive, cast.sam):
            with pytest.raises(PermissionDenied):
                draft(cast, incident, by=who)
        with pytest.raises(Http404):
            draft(cast, incident, by=cast.charlie)

    def test_recipients_must_fit_the_audience(self, cast, incident):
        with pytest.raises(InvalidInput) as error:
            draft(cast, incident, audience="partners")
        assert "external_recipients" in error.value.errors
        with pytest.raises(InvalidInput) as error:
            draft(cast, incident, audience="people", recipients=["ghost"])
        assert "ghost" in error.value.errors["recipients"][0]
        with pytest.raises(InvalidInput) as error:
            draft(cast, incident, audience="all_staff", external_recipients=["a@example.org"])
        assert "external_recipients" in error.value.errors
        with pytest.raises(InvalidInput) as error:
            draft(cast, incident, audience="family", external_recipients=["not-an-email"])
        assert "not-an-email" in error.value.errors["external_recipients"][0]
        assert Message.objects.count() == 0

    def test_every_bad_field_at_once(self, cast, incident):
        with pytest.raises(InvalidInput) as error:
            draft(cast, incident, audience="pigeons", subject="", body=" ",
                  release_at=timezone.now() - dt.timedelta(hours=1))
        assert {"audience", "subject", "body", "release_at"} <= set(error.value.errors)


class TestVersionsAndApproval:
    def test_edit_in_draft_makes_a_new_version(self, cast, incident):
        message = draft(cast, incident)
        services.message_edit(actor=cast.alice, message_id=message.pk, changes={"body": "Better words."})
        message.refresh_from_db()
        assert message.version == 2 and message.status == "draft"
        assert list(message.versions.values_list("body", flat=True)) == ["Plain facts.", "Better words."]

    def test_internal_needs_one_approval(self, cast, incident):
        message = draft(cast, incident)
        services.message_submit(actor=cast.alice, message_id=message.pk)
        services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
        message.refresh_from_db()
        assert message.status == "approved"

    def test_external_needs_comms_and_command(self, cast, incident):
        message = draft(cast, incident, audience="partners", external_recipients=["police@example.org"])
        services.message_submit(actor=cast.alice, message_id=message.pk)
        services.message_approve(actor=cast.tom, message_id=message.pk, version=1)
        message.refresh_from_db()
        assert message.status == "in_review"
        services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
        message.refresh_from_db()
        assert message.status == "approved"

    def test_one_person_counts_once(self, cast, incident):
        # Cora is a comms officer; make her tactical lead too, so she could approve as either.
        from incidents.membership import member_change_role

        member_change_role(actor=cast.alice, incident_id=incident.pk, username="cora", role="tactical_lead",
                           reason="Both hats")
        message = draft(cast, incident, audience="press_statement", by=cast.tom)
        services.message_submit(actor=cast.tom, message_id=message.pk)
        services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
        message.refresh_from_db()
        assert message.status == "in_review"
        with pytest.raises(Conflict) as again:
            services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
        assert again.value.code == "already_approved"
        services.message_approve(actor=cast.alice, message_id=message.pk, version=1)
        message.refresh_from_db()
        assert message.status == "approved"

    def test_nobody_approves_their_own_draft(self, cast, incident):
        message = draft(cast, incident, by=cast.cora)
        services.message_submit(actor=cast.cora, message_id=message.pk)
        with pytest.raises(PermissionDenied):
            services.message_approve(actor=cast.cora, message_id=message.pk, version=1)

    def test_stale_version_is_a_conflict(self, cast, incident):
        message = draft(cast, incident)
        services.message_edit(actor=cast.alice, message_id=message.pk, changes={"subject": "New subject"})
        services.message_submit(actor=cast.alice, message_id=message.pk)
        with pytest.raises(Conflict) as stale:
            services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
        assert stale.value.code == "stale_version" and stale.value.extra["current_version"] == 2
        assert not Approval.objects.exists()

    def test_edit_after_submission_voids_approvals(self, cast, incident):
        message = draft(cast, incident, audience="partners", external_recipients=["p@example.org"])
        services.message_submit(actor=cast.alice, message_id=message.pk)
        services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
        services.message_edit(actor=cast.alice, message_id=message.pk, changes={"body": "One word changed."})
        message.refresh_from_db()
        assert (message.status, message.version) == ("draft", 2)
        approval = Approval.objects.get()
        assert approval.voided_at is not None and "edited after submission" in approval.voided_reason
        assert "message.approvals_voided" in types(incident)

    def test_request_changes_needs_a_comment_then_edit_returns_to_draft(self, cast, incident):
        message = draft(cast, incident)
        services.message_submit(actor=cast.alice, message_id=message.pk)
        with pytest.raises(InvalidInput):
            services.message_request_changes(actor=cast.cora, message_id=message.pk, comment=" ")
        services.message_request_changes(actor=cast.cora, message_id=message.pk, comment="Add the helpline")
        message.refresh_from_db()
        assert message.status == "changes_requested" and message.change_request == "Add the helpline"
        with pytest.raises(Conflict):
            services.message_submit(actor=cast.alice, message_id=message.pk)
        services.message_edit(actor=cast.alice, message_id=message.pk, changes={"body": "Helpline: 0800…"})
        message.refresh_from_db()
        assert message.status == "draft"
        services.message_submit(actor=cast.alice, message_id=message.pk)

    def test_state_machine_refusals(self, cast, incident):
        message = draft(cast, incident)
        with pytest.raises(Conflict):
            services.message_approve(actor=cast.cora, message_id=message.pk, version=1)  # not submitted
        services.message_withdraw(actor=cast.alice, message_id=message.pk, reason="Overtaken by events")
        for action in (
            lambda: services.message_submit(actor=cast.alice, message_id=message.pk),
            lambda: services.message_edit(actor=cast.alice, message_id=message.pk, changes={"body": "x"}),
            lambda: services.message_withdraw(actor=cast.alice, message_id=message.pk, reason="again"),
            lambda: comms_releases.message_release(actor=cast.alice, message_id=message.pk),
        ):
            with pytest.raises(Conflict):
                action()

    def test_members_and_observers_cannot_approve(self, cast, incident):
        message = draft(cast, incident)
        services.message_submit(actor=cast.alice, message_id=message.pk)
        for who in (cast.bob, cast.olive, cast.sam):
            with pytest.raises(PermissionDenied):
                services.message_approve(actor=who, message_id=message.pk, version=1)


class TestGates:
    def test_approval_required(self, cast, incident):
        message = draft(cast, incident)
        with pytest.raises(GateRefused) as refused:
            comms_releases.message_release(actor=cast.cora, message_id=message.pk)
        assert refused.value.gate == "approval_required"

    def test_identifier_blocks_external_approval_and_release(self, cast, incident):
        comms_protect.identifier_add(actor=cast.cora, incident_id=incident.pk, value="Smith", kind="name")
        message = draft(cast, incident, audience="press_statement", body="The Smith-Jones family asked for privacy.")
        services.message_submit(actor=cast.alice, message_id=message.pk)
        with pytest.raises(GateRefused) as refused:
            services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
        assert refused.value.gate == "identifier_found"
        # the gate is re-checked at release: an identifier added after approval still stops it
        clean = approve_fully(cast, draft(cast, incident, audience="partners", body="Police are leading.",
                                          external_recipients=["p@example.org"]))
        comms_protect.identifier_add(actor=cast.alice, incident_id=incident.pk, value="Police", kind="other")
        with pytest.raises(GateRefused) as refused:
            comms_releases.message_release(actor=cast.cora, message_id=clean.pk)
        assert refused.value.gate == "identifier_found"

    def test_a_disguised_identifier_is_refused_at_approval_release_and_the_embargo(self, cast, incident):
        comms_protect.identifier_add(actor=cast.cora, incident_id=incident.pk, value="Hollins", kind="name")
        disguised = "We are thinking of the H\u043ell\u00adins family."  # Cyrillic о and a soft hyphen
        message = draft(cast, incident, audience="partners", body=disguised, external_recipients=["p@example.org"])
        services.message_submit(actor=cast.alice, message_id=message.pk)
        with pytest.raises(GateRefused) as refused:
            services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
        assert refused.value.gate == "identifier_found"
        # Approved clean, scheduled, then edited text is not possible; but an identifier protected after
        # scheduling is found by the worker's re-check at the embargo time, disguised or not.
        later = timezone.now() + dt.timedelta(minutes=5)
        clean = approve_fully(cast, draft(cast, incident, audience="partners", body="The H O L L O W A Y team.",
                                          external_recipients=["p@example.org"], release_at=later))
        comms_releases.message_release(actor=cast.cora, message_id=clean.pk)
        comms_protect.identifier_add(actor=cast.alice, incident_id=incident.pk, value="Holloway", kind="name")
        with at(later + dt.timedelta(seconds=1)):
            assert comms_releases.scheduled_release_due(clean.pk).startswith("held: identifier_found")

    def test_identifier_only_warns_on_internal_messages(self, cast, incident):
        comms_protect.identifier_add(actor=cast.cora, incident_id=incident.pk, value="Smith", kind="name")
        message = approve_fully(cast, draft(cast, incident, body="Smith's key worker is off this week."))
        assert comms_releases.message_release(actor=cast.cora, message_id=message.pk).status == "released"

    def test_identifier_cannot_be_overridden(self, cast, incident):
        comms_protect.identifier_add(actor=cast.cora, incident_id=incident.pk, value="Oak Lane", kind="address")
        message = draft(cast, incident, audience="partners", body="At oak lane.", external_recipients=["p@example.org"])
        services.message_submit(actor=cast.alice, message_id=message.pk)
        with pytest.raises(GateRefused):
            services.message_approve(actor=cast.tom, message_id=message.pk, version=1)

    def test_staff_before_press(self, cast):
        incident = open_incident(cast, kind="staff_assault")
        statement = approve_fully(cast, draft(cast, incident, audience="press_statement"))
        with pytest.raises(GateRefused) as refused:
            comms_releases.message_release(actor=cast.cora, message_id=statement.pk)
        assert refused.value.gate == "staff_not_briefed"
        released_briefing(cast, incident)
        assert comms_releases.message_release(actor=cast.cora, message_id=statement.pk).status == "released"

    def test_family_first_for_deaths(self, cast, incident):
        released_briefing(cast, incident)
        statement = approve_fully(cast, draft(cast, incident, audience="holding_statement"))
        with pytest.raises(GateRefused) as refused:
            comms_releases.message_release(actor=cast.cora, message_id=statement.pk)
        assert refused.value.gate == "family_not_informed"
        with pytest.raises(PermissionDenied):
            comms_protect.family_informed_record(actor=cast.cora, incident_id=incident.pk,
                                            informed_at=timezone.now(), informed_by="Police FLO")
        comms_protect.family_informed_record(actor=cast.tom, incident_id=incident.pk,
                                        informed_at=timezone.now() - dt.timedelta(hours=1), informed_by="Police FLO")
        assert comms_releases.message_release(actor=cast.cora, message_id=statement.pk).status == "released"
        assert "family.informed" in types(incident)

    def test_family_gate_only_for_deaths(self, cast):
        incident = open_incident(cast, kind="community_violence")
        released_briefing(cast, incident)
        statement = approve_fully(cast, draft(cast, incident, audience="website"))
        assert comms_releases.message_release(actor=cast.cora, message_id=statement.pk).status == "released"

    def test_lead_overrides_with_a_reason_written_to_the_decision_log(self, cast, incident):
        statement = approve_fully(cast, draft(cast, incident, audience="press_statement", subject="Statement"))
        with pytest.raises(PermissionDenied):
            comms_releases.message_release(actor=cast.cora, message_id=statement.pk, override_reason="Press deadline")
        released = comms_releases.message_release(actor=cast.tom, message_id=statement.pk,
                                            override_reason="Story already public; staff told by phone")
        assert released.status == "released"
        assert sorted(released.overridden_gates) == ["family_not_informed", "staff_not_briefed"]
        entry = Decision.objects.get(incident=incident)
        assert entry.decided_by == cast.tom and "before staff were briefed" in entry.decision
        assert entry.rationale == "Story already public; staff told by phone"

    def test_refusals_change_nothing(self, cast, incident):
        statement = approve_fully(cast, draft(cast, incident, audience="press_statement"))
        before = TimelineEvent.objects.count()
        with pytest.raises(GateRefused):
            comms_releases.message_release(actor=cast.cora, message_id=statement.pk)
        statement.refresh_from_db()
        assert statement.status == "approved" and TimelineEvent.objects.count() == before


class TestDelivery:
    def test_internal_release_fills_inboxes_and_the_outbox(self, cast, incident):
        message = released_briefing(cast, incident)
        assert InboxItem.objects.filter(message=message).count() == 7  # all active staff
        assert emails_of(message).count() == 7
        assert message.released_version == message.version and message.released_by == cast.cora

    def test_people_and_team_audiences(self, cast, incident):
        from people.models import Team

        north = Team.objects.create(name="North")
        cast.bob.team = north
        cast.bob.save()
        teams = approve_fully(cast, draft(cast, incident, audience="teams", teams=["North"]))
        comms_releases.message_release(actor=cast.cora, message_id=teams.pk)
        assert list(InboxItem.objects.filter(message=teams).values_list("recipient__username", flat=True)) == ["bob"]
        people = approve_fully(cast, draft(cast, incident, audience="people", recipients=["olive", "charlie"]))
        comms_releases.message_release(actor=cast.cora, message_id=people.pk)
        assert set(InboxItem.objects.filter(message=people).values_list("recipient__username", flat=True)) == {
            "olive", "charlie"}

    def test_outbox_retries_with_backoff_then_recovers(self, cast, incident, settings):
        message = approve_fully(cast, draft(cast, incident, audience="people", recipients=["bob"],
                                            content_note="Mentions a death"))
        comms_releases.message_release(actor=cast.cora, message_id=message.pk)
        email = emails_of(message).get()
        settings.EMAIL_BACKEND = "tests.email_backends.BrokenBackend"
        assert outbox.send_attempt(email.pk) == "pending"
        email.refresh_from_db()
        assert email.attempts == 1 and "refused" in email.last_error
        assert email.next_attempt_at > timezone.now() + dt.timedelta(seconds=25)
        assert outbox.send_attempt(email.pk) == "not yet"  # backoff is respected
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        with at(email.next_attempt_at + dt.timedelta(seconds=1)):
            assert outbox.send_attempt(email.pk) == "sent"
        assert mail.outbox[-1].to == ["bob@example.org"]
        body = mail.outbox[-1].body
        assert body.index("Mentions a death") < body.index("Plain facts.")

    def test_outbox_gives_up_after_the_last_attempt(self, cast, incident, settings):
        message = approve_fully(cast, draft(cast, incident, audience="people", recipients=["bob"]))
        comms_releases.message_release(actor=cast.cora, message_id=message.pk)
        email = emails_of(message).get()
        settings.EMAIL_BACKEND = "tests.email_backends.BrokenBackend"
        settings.HARBOUR_EMAIL_MAX_ATTEMPTS = 2
        outbox.send_attempt(email.pk)
        email.refresh_from_db()
        with at(email.next_attempt_at + dt.timedelta(seconds=1)):
            assert outbox.send_attempt(email.pk) == "failed"

    def test_external_messages_email_their_recipients(self, cast, incident):
        message = approve_fully(cast, draft(cast, incident, audience="family", external_recipients=["fam@example.org"]))
        comms_releases.message_release(actor=cast.cora, message_id=message.pk)
        assert list(Email.objects.values_list("to", flat=True)) == ["fam@example.org"]
        assert list(emails_of(message).values_list("kind", flat=True)) == ["comms.delivery"]
        assert not InboxItem.objects.exists()

    def test_acknowledge_and_ask_for_support(self, cast, incident, django_capture_on_commit_callbacks):
        message = released_briefing(cast, incident)
        item = comms_releases.message_acknowledge(actor=cast.bob, message_id=message.pk, wants_support=True)
        assert item.acknowledged_at is not None and item.wants_support
        request = SupportRequest.objects.get()
        assert (request.person, request.incident, request.message) == (cast.bob, incident, message)
        comms_releases.message_acknowledge(actor=cast.bob, message_id=message.pk, wants_support=True)
        assert SupportRequest.objects.count() == 1
        # acknowledging is private: no timeline entry names the reader
        assert not TimelineEvent.objects.filter(summary__contains="Bob").exclude(type__startswith="member").exists()

    def test_only_recipients_acknowledge(self, cast, incident):
        message = approve_fully(cast, draft(cast, incident, audience="people", recipients=["bob"]))
        comms_releases.message_release(actor=cast.cora, message_id=message.pk)
        with pytest.raises(Http404):
            comms_releases.message_acknowledge(actor=cast.olive, message_id=message.pk)


class TestEmbargo:
    def test_scheduled_release_happens_at_the_embargo_time(self, cast, incident):
        when = timezone.now() + dt.timedelta(hours=2)
        message = approve_fully(cast, draft(cast, incident, release_at=when))
        assert comms_releases.message_release(actor=cast.cora, message_id=message.pk).status == "scheduled"
        assert comms_releases.scheduled_release_due(message.pk) == "not yet"
        with at(when + dt.timedelta(seconds=1)):
            assert comms_releases.scheduled_release_due(message.pk) == "released"
        message.refresh_from_db()
        assert message.status == "released" and InboxItem.objects.filter(message=message).exists()

    def test_a_gate_failing_at_the_embargo_time_holds_it_and_says_why(self, cast, incident):
        released_briefing(cast, incident)
        comms_protect.family_informed_record(actor=cast.alice, incident_id=incident.pk,
                                        informed_at=timezone.now(), informed_by="Police")
        when = timezone.now() + dt.timedelta(hours=1)
        statement = approve_fully(cast, draft(cast, incident, audience="press_statement", body="A statement.",
                                              release_at=when))
        comms_releases.message_release(actor=cast.cora, message_id=statement.pk)
        comms_protect.identifier_add(actor=cast.alice, incident_id=incident.pk, value="statement", kind="other")
        with at(when + dt.timedelta(seconds=1)):
            assert comms_releases.scheduled_release_due(statement.pk) == "held: identifier_found"
        statement.refresh_from_db()
        assert statement.status == "approved" and "identify the child" in statement.hold_reason
        told = set(emails_of(statement).values_list("to", flat=True))
        assert told == {"alice@example.org", "cora@example.org"}  # the author and the comms lead
        assert "message.release_held" in types(incident)

    def test_a_hold_is_not_told_to_an_author_who_has_left_the_incident(self, cast, incident):
        when = timezone.now() + dt.timedelta(hours=1)
        statement = draft(cast, incident, by=cast.tom, audience="partners", body="Update for partners.",
                          external_recipients=["p@example.org"], release_at=when)
        services.message_submit(actor=cast.tom, message_id=statement.pk)
        services.message_approve(actor=cast.cora, message_id=statement.pk, version=1)
        services.message_approve(actor=cast.alice, message_id=statement.pk, version=1)
        comms_releases.message_release(actor=cast.cora, message_id=statement.pk)
        comms_protect.identifier_add(actor=cast.alice, incident_id=incident.pk, value="partners", kind="other")
        from incidents.membership import member_remove

        member_remove(actor=cast.alice, incident_id=incident.pk, username="tom", reason="Moved on")
        with at(when + dt.timedelta(seconds=1)):
            assert comms_releases.scheduled_release_due(statement.pk).startswith("held")
        told = set(emails_of(statement).values_list("to", flat=True))
        assert told == {"cora@example.org"}

    def test_editing_a_scheduled_message_unschedules_it(self, cast, incident):
        message = approve_fully(cast, draft(cast, incident, release_at=timezone.now() + dt.timedelta(hours=1)))
        comms_releases.message_release(actor=cast.cora, message_id=message.pk)
        services.message_edit(actor=cast.alice, message_id=message.pk, changes={"body": "Changed"})
        assert comms_releases.scheduled_release_due(message.pk) == "moved on"


class TestIdentifiersAndMedia:
    def test_identifiers_are_for_leads_and_comms_lead_only(self, cast, incident):
        for who in (cast.bob, cast.olive, cast.sam):
            with pytest.raises(PermissionDenied):
                comms_protect.identifier_add(actor=who, incident_id=incident.pk, value="Smith", kind="name")
        comms_protect.identifier_add(actor=cast.cora, incident_id=incident.pk, value="Smith", kind="name")
        with pytest.raises(Conflict):
            comms_protect.identifier_add(actor=cast.alice, incident_id=incident.pk, value="smith", kind="name")
        event = TimelineEvent.objects.get(type="identifier.added")
        assert "Smith" not in event.summary and "Smith" not in str(event.data)

    def test_media_enquiry_log_and_update(self, cast, incident):
        enquiry = comms_media.media_enquiry_log(
            actor=cast.cora, incident_id=incident.pk, outlet="Evening Post", journalist="J. Reporter",
            contact="0113 000 0000", received_at=timezone.now() - dt.timedelta(minutes=10),
            deadline=timezone.now() + dt.timedelta(hours=1), question="Can you confirm…?",
        )
        assert enquiry.owner == cast.cora and enquiry.status == "open"
        statement = draft(cast, incident, audience="holding_statement")
        comms_media.media_enquiry_update(actor=cast.tom, enquiry_id=enquiry.pk,
                                      changes={"status": "responded", "response_message": statement.pk})
        enquiry.refresh_from_db()
        assert enquiry.status == "responded" and enquiry.response_message == statement
        assert types(incident)[-1] == "media.updated"

    def test_media_enquiry_errors_and_permissions(self, cast, incident):
        with pytest.raises(InvalidInput) as error:
            comms_media.media_enquiry_log(actor=cast.cora, incident_id=incident.pk, outlet="", journalist="",
                                       contact="", question="", received_at=timezone.now() + dt.timedelta(days=1),
                                       owner="bob")
        assert {"outlet", "journalist", "contact", "question", "received_at", "owner"} <= set(error.value.errors)
        with pytest.raises(PermissionDenied):
            comms_media.media_enquiry_log(actor=cast.bob, incident_id=incident.pk, outlet="x", journalist="y",
                                       contact="z", question="q", received_at=timezone.now())


class TestOutboxHoldsNoLockWhileSending:
    def test_the_mail_server_is_spoken_to_outside_any_transaction(self, cast, incident, settings):
        from django.db import connection

        message = approve_fully(cast, draft(cast, incident, audience="people", recipients=["bob"]))
        comms_releases.message_release(actor=cast.cora, message_id=message.pk)
        email = emails_of(message).get()
        seen = {}

        def send(self, fail_silently=False):
            # pytest-django wraps each test in one transaction: inside it, depth 1 is the test's own.
            seen["depth"] = len(connection.savepoint_ids)
            seen["state"] = Email.objects.get(pk=email.pk).state
            return 1

        with mock.patch("django.core.mail.EmailMessage.send", send):
            assert outbox.send_attempt(email.pk) == "sent"
        assert seen == {"depth": 0, "state": "sending"}

    def test_a_claimed_email_is_not_sent_twice_and_a_lapsed_claim_is_taken_over(self, cast, incident):
        message = approve_fully(cast, draft(cast, incident, audience="people", recipients=["bob"]))
        comms_releases.message_release(actor=cast.cora, message_id=message.pk)
        email = emails_of(message).get()
        claimed = outbox.claim(email.pk)
        assert claimed.state == "sending" and claimed.attempts == 1
        assert outbox.send_attempt(email.pk) == "moved on"  # another worker holds the claim
        lapsed = claimed.next_attempt_at + dt.timedelta(seconds=1)
        with at(lapsed):  # that worker died mid-send
            assert outbox.send_attempt(email.pk) == "sent"
        email.refresh_from_db()
        assert email.state == "sent" and email.attempts == 2
        assert len([m for m in mail.outbox if m.to == ["bob@example.org"]]) == 1


class TestAudit:
    def test_voided_approvals_are_in_the_history_with_who_and_why(self, cast, incident, api):
        message = draft(cast, incident)
        services.message_submit(actor=cast.alice, message_id=message.pk)
        services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
        services.message_edit(actor=cast.tom, message_id=message.pk, changes={"body": "Corrected facts."})
        approval = Approval.objects.get(message=message)
        assert approval.voided_at is not None
        record = approval.history.latest()
        assert record.history_user == cast.tom and record.voided_at is not None
        history = api(cast.bob).get(f"/api/incidents/{incident.pk}/history/").json()["results"]
        voided = [h for h in history if h["model"] == "Approval" and h["action"] == "changed"]
        assert voided and voided[0]["user"] == "tom"
        assert {c["field"] for c in voided[0]["changes"]} >= {"voided_at", "voided_reason"}

    def test_a_removed_identifier_names_who_removed_it(self, cast, incident):
        from comms.models import ProtectedIdentifier

        identifier = comms_protect.identifier_add(actor=cast.cora, incident_id=incident.pk, value="Smith", kind="name")
        comms_protect.identifier_remove(actor=cast.alice, incident_id=incident.pk, identifier_id=identifier.pk)
        deleted = ProtectedIdentifier.history.filter(id=identifier.pk, history_type="-").get()
        assert deleted.history_user == cast.alice


class TestLimitsComeFromTheModels:
    def test_too_long_enquiry_and_family_fields_are_field_errors_not_server_errors(self, cast, incident):
        with pytest.raises(InvalidInput) as error:
            comms_media.media_enquiry_log(actor=cast.cora, incident_id=incident.pk, outlet="x" * 201, journalist="J",
                                       contact="c", received_at=timezone.now(), question="Q?")
        assert "200 characters" in error.value.errors["outlet"][0]
        with pytest.raises(InvalidInput) as error:
            comms_protect.family_informed_record(actor=cast.alice, incident_id=incident.pk, informed_at=timezone.now(),
                                            informed_by="p" * 201)
        assert "informed_by" in error.value.errors
        message = draft(cast, incident)
        with pytest.raises(InvalidInput) as error:
            services.message_withdraw(actor=cast.alice, message_id=message.pk, reason="r" * 501)
        assert "500 characters" in error.value.errors["reason"][0]


def test_a_sweep_queues_a_send_only_for_an_email_with_none_waiting(cast, incident):
    """A release to a thousand people queues a thousand sends; three sweeps while they wait their turn
    (the worker is busy) queue none more. An email whose send was lost is queued again, once."""
    from django_tasks_db.models import DBTaskResult

    from comms import releases as comms_releases
    from comms import services as comms_services
    from people.models import User

    User.objects.bulk_create(User(username=f"staff{n}", email=f"staff{n}@example.org", full_name=f"Staff {n}")
                             for n in range(1000))
    message = comms_services.message_draft(actor=cast.alice, incident_id=incident.pk, audience="all_staff",
                                           subject="To everyone", body="A briefing.")
    comms_services.message_submit(actor=cast.alice, message_id=message.pk)
    comms_services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
    comms_releases.message_release(actor=cast.cora, message_id=message.pk)
    emails = Email.objects.count()
    sends = DBTaskResult.objects.filter(task_path="core.tasks.send_email")
    assert emails >= 1000 and sends.count() == emails

    released = timezone.now()
    for minute in (2, 3, 4):  # each sweep long after the emails were written, none of them yet tried
        with at(released + dt.timedelta(minutes=minute)):
            outbox.sweep_due()
    assert sends.count() / emails <= 1.1
    assert sends.count() == emails

    lost = Email.objects.order_by("pk").first()
    sends.filter(args_kwargs__args=[lost.pk]).delete()  # its task was lost: the worker's row went with it
    for minute in (5, 6):
        with at(released + dt.timedelta(minutes=minute)):
            outbox.sweep_due()
    assert sends.filter(args_kwargs__args=[lost.pk]).count() == 1
    assert sends.count() == emails
