"""The identifier gate (issue 18, point 3) at the doors a person uses: the release service, the API and the
console, and the editor's live check, which is the same function. A whole identifier, however disguised,
is refused and nobody can release past it; part of one found alone waits for the comms lead, who may
confirm it for one version with a reason that goes in the decision log."""

from __future__ import annotations

import datetime as dt
from html import escape
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from comms import gates as comms_gates
from comms import identifiers as identifier_matching
from comms import protect as comms_protect
from comms import releases as comms_releases
from comms import services
from comms.models import IdentifierPartConfirmation, Message
from core.errors import Conflict, GateRefused, InvalidInput
from incidents.membership import member_change_role
from incidents.models import Decision, TimelineEvent

pytestmark = pytest.mark.django_db

TO = ["police.liaison@example.org"]
# Each class of evasion the probe used, a few examples of our own each: (identifier, kind, text).
EVASIONS = [
    # look-alike letters, in Latin and other scripts
    ("Hollins", "name", "We are thinking of the Hołlins family."),
    ("Hollins", "name", "We are thinking of the ʜᴏʟʟɪɴs family."),
    ("Hollins", "name", "We are thinking of the HoIIins family."),
    ("Kayden Hollins", "name", "Kаyden Hоllins was seven."),
    # combining marks typed over the letters
    ("Hollins", "name", "The H\u0336o\u0336l\u0336l\u0336i\u0336n\u0336s\u0336 family."),
    ("Kayden Hollins", "name", "Kay\u0301den Ho\u0308llins was seven."),
    # spaces and invisible or direction-changing characters
    ("Hollins", "name", "The Hol\u200alins family."),
    ("Hollins", "name", "The Hol\u202flins family."),
    ("Hollins", "name", "The Hol\u2060lins family."),
    ("Kayden Hollins", "name", "Kayden\u2009Hollins was seven."),
    # a word hyphenated across a line break
    ("Hollins", "name", "The Hol-\nlins family asked for privacy."),
    ("Brookfield Primary School", "school", "Pupils at Brook-\r\nfield Primary were told."),
    # digits and signs for letters
    ("Hollins", "name", "The H0llins family."),
    ("Hollins", "name", "The Ho11ins family."),
    ("Kayden Hollins", "name", "K4yden Hollin$ was seven."),
    # run together in hashtags, handles and web addresses
    ("Kayden Hollins", "name", "Thinking of you #KaydenHollins"),
    ("Kayden Hollins", "name", "Thinking of you @kaydenhollins"),
    ("Brookfield Primary School", "school", "Updates at www.brookfieldprimary.sch.uk"),
    # plural and possessive endings
    ("Hollins", "name", "The Hollinses have asked for privacy."),
    ("St Mary's Primary", "school", "Staff at St Marys Primary were told."),
    # abbreviations of address and school words
    ("14 Acacia Avenue", "address", "Police were called to 14 Acacia Ave."),
    ("Brookfield Primary School", "school", "Pupils at Brookfield Pri were told."),
    ("St Mary's CE Primary", "school", "Staff at St Mary's C of E Primary were told."),
    # a part of a full address, between its commas
    ("12 Acacia Avenue, Leeds LS6 2AB", "address", "Police were called to 12 Acacia Ave."),
    ("Flat 2, 41 Mill Lane, Eastfield, Harbourside HB2 5RT", "address", "A fire at 41 Mill Ln was put out."),
]
PARTS = [
    ("Brookfield Primary School", "school", "Pupils at Brookfield were told.", "Brookfield"),
    ("Kayden Hollins", "name", "The Hollins family asked for privacy.", "Hollins"),
    ("14 Acacia Avenue", "address", "A house on Acacia was searched.", "Acacia"),
    ("Kayden Hollins", "name", "#prayforkayden", "Kayden"),
    ("12 Acacia Avenue, Leeds LS6 2AB", "address", "Officers searched a house in ls6 2ab.", "LS6 2AB"),
]


def protect(cast, incident, value, kind="name"):
    return comms_protect.identifier_add(actor=cast.cora, incident_id=incident.pk, value=value, kind=kind)


def to_partners(cast, incident, body, *, subject="Update for partners", **extra):
    return services.message_draft(actor=cast.alice, incident_id=incident.pk, audience="partners", subject=subject,
                                  body=body, external_recipients=TO, **extra)


def approve(cast, message):
    services.message_submit(actor=cast.alice, message_id=message.pk)
    for approver in (cast.cora, cast.tom):
        services.message_approve(actor=approver, message_id=message.pk, version=message.version)
    message.refresh_from_db()
    assert message.status == "approved"
    return message


def approved_then_protected(cast, incident, value, kind, body):
    """Approved while nothing was protected, then the identifier is protected: only the release can refuse."""
    message = approve(cast, to_partners(cast, incident, body))
    protect(cast, incident, value, kind)
    return message


def confirm(cast, message, reason="The school is named as the place of the vigil, which is public."):
    return services.message_confirm_identifier_parts(actor=cast.cora, message_id=message.pk,
                                                     version=message.version, reason=reason)


@pytest.fixture
def message(cast, incident):
    """An approved message to partners that names "Brookfield" alone, a part of a protected school: only
    the comms lead's confirmation stops its release."""
    protect(cast, incident, "Brookfield Primary School", "school")
    return approve(cast, to_partners(cast, incident, "At Brookfield."))


def event_types(incident):
    return list(TimelineEvent.objects.filter(incident=incident).order_by("id").values_list("type", flat=True))


class TestTheGate:
    @pytest.mark.parametrize("value, kind, text", EVASIONS)
    def test_every_evasion_is_refused_at_approval_and_at_release(self, cast, incident, value, kind, text):
        protect(cast, incident, value, kind)
        message = to_partners(cast, incident, text)
        services.message_submit(actor=cast.alice, message_id=message.pk)
        with pytest.raises(GateRefused) as refused:
            services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
        assert refused.value.gate == "identifier_found"

    @pytest.mark.parametrize("value, kind, text", EVASIONS[::3])
    def test_protected_after_approval_it_is_refused_at_release_and_nobody_may_override(
            self, cast, incident, value, kind, text):
        message = approved_then_protected(cast, incident, value, kind, text)
        for who in (cast.cora, cast.tom, cast.alice):
            with pytest.raises(GateRefused) as refused:
                comms_releases.message_release(actor=who, message_id=message.pk, override_reason="Deadline")
            assert refused.value.gate == "identifier_found"
        with pytest.raises(Conflict) as refused:
            confirm(cast, message)
        assert refused.value.code == "identifier_found"
        message.refresh_from_db()
        assert message.status == "approved" and not Decision.objects.filter(incident=incident).exists()

    @pytest.mark.parametrize("value, kind, text, word", PARTS)
    def test_a_part_alone_waits_for_the_comms_lead(self, cast, incident, value, kind, text, word):
        protect(cast, incident, value, kind)
        message = approve(cast, to_partners(cast, incident, text))  # a part does not stop approval
        with pytest.raises(GateRefused) as refused:
            comms_releases.message_release(actor=cast.cora, message_id=message.pk)
        assert refused.value.gate == "identifier_part_found"
        assert f"part of a protected {kind}" in refused.value.detail and word not in refused.value.detail
        with pytest.raises(GateRefused):  # the lead's override is for other gates
            comms_releases.message_release(actor=cast.alice, message_id=message.pk, override_reason="Deadline")
        confirm(cast, message)
        assert comms_releases.message_release(actor=cast.alice, message_id=message.pk).status == "released"

    def test_the_town_of_a_protected_address_does_not_hold_a_release(self, cast, incident):
        protect(cast, incident, "12 Acacia Avenue, Headingley, Leeds LS6 2AB", "address")
        message = approve(cast, to_partners(cast, incident, "Services across Leeds and Headingley are open."))
        assert comms_releases.message_release(actor=cast.cora, message_id=message.pk).status == "released"

    def test_internal_messages_are_only_warned(self, cast, incident):
        protect(cast, incident, "Brookfield Primary School", "school")
        briefing = services.message_draft(actor=cast.alice, incident_id=incident.pk, audience="all_staff",
                                          subject="Staff", body="Colleagues at Brookfield and H0llins.")
        services.message_submit(actor=cast.alice, message_id=briefing.pk)
        services.message_approve(actor=cast.cora, message_id=briefing.pk, version=1)
        assert comms_releases.message_release(actor=cast.cora, message_id=briefing.pk).status == "released"

    def test_a_part_found_at_the_embargo_time_holds_the_release(self, cast, incident):
        later = timezone.now() + dt.timedelta(minutes=10)
        message = approve(cast, to_partners(cast, incident, "A vigil at Meadowbank tonight.", release_at=later))
        assert comms_releases.message_release(actor=cast.cora, message_id=message.pk).status == "scheduled"
        protect(cast, incident, "Meadowbank Close", "address")
        with time_machine.travel(later + dt.timedelta(seconds=1), tick=False):
            assert comms_releases.scheduled_release_due(message.pk) == "held: identifier_part_found"
        confirm(cast, Message.objects.get(pk=message.pk))
        assert comms_releases.message_release(actor=cast.cora, message_id=message.pk).status == "scheduled"


class TestTextStoredBeforeDirectionControlsWereRefused:
    """An override can no longer be typed (core/text.py), but a message stored before then may hold one:
    the gate reads the letters it reverses as a reader sees them."""

    @pytest.mark.parametrize("value, kind, text", [
        ("Hollins", "name", "The \u202esnilloH\u202c family asked for privacy."),
        ("Kayden Hollins", "name", "Thinking of \u202esnilloH nedyaK\u202c today."),
        ("Brookfield Primary School", "school", "Pupils at \u202eloohcS yramirP dleifkoorB\u202c were told."),
        ("14 Acacia Avenue", "address", "Police were called to \u2067\u202eeunevA aicacA 41\u2069."),
    ])
    def test_it_is_refused_at_release_and_nobody_may_override(self, cast, incident, value, kind, text):
        message = approve(cast, to_partners(cast, incident, "Plain facts."))
        Message.objects.filter(pk=message.pk).update(body=text)  # as it was stored before
        protect(cast, incident, value, kind)
        for who in (cast.cora, cast.tom):
            with pytest.raises(GateRefused) as refused:
                comms_releases.message_release(actor=who, message_id=message.pk, override_reason="Deadline")
            assert refused.value.gate == "identifier_found"
        assert Message.objects.get(pk=message.pk).status == "approved"

    def test_the_api_answers_409(self, cast, api, incident):
        message = approve(cast, to_partners(cast, incident, "Plain facts."))
        Message.objects.filter(pk=message.pk).update(subject="Update on the \u202esnilloH\u202c family")
        protect(cast, incident, "Hollins")
        response = api(cast.cora).post(f"/api/messages/{message.pk}/release/", {}, format="json")
        assert response.status_code == 409 and response.json()["gate"] == "identifier_found"


class TestConfirmation:
    def test_the_comms_lead_confirms_with_a_reason_on_the_decision_log_and_the_timeline(self, cast, incident):
        protect(cast, incident, "Brookfield Primary School", "school")
        message = approve(cast, to_partners(cast, incident, "A vigil will be held at Brookfield."))
        confirm(cast, message, reason="Brookfield here is the park where the vigil is, not the school.")
        [entry] = Decision.objects.filter(incident=incident)
        assert entry.decided_by == cast.cora
        assert entry.rationale == "Brookfield here is the park where the vigil is, not the school."
        assert "version 1" in entry.decision and "part of a protected school" in entry.decision
        # Every member reads the log: it names the kind, never the words or the identifier.
        assert "Brookfield" not in entry.decision + entry.information
        [confirmation] = IdentifierPartConfirmation.objects.filter(message=message)
        assert (confirmation.version, confirmation.confirmed_by, confirmation.decision) == (1, cast.cora, entry)
        assert confirmation.history.count() == 1
        events = event_types(incident)
        assert events[-2:] == ["decision.recorded", "message.identifier_part_confirmed"]
        summary = TimelineEvent.objects.filter(type="message.identifier_part_confirmed").get().summary
        assert "Cora Comms confirmed" in summary and "Brookfield" not in summary

    @pytest.mark.parametrize("who", ["alice", "tom", "cora_as_officer"])
    def test_only_the_comms_lead(self, cast, message, incident, who):
        if who == "cora_as_officer":  # a communications officer, but not the comms lead
            member_change_role(actor=cast.alice, incident_id=incident.pk, username="cora", role="member", reason="r")
        with pytest.raises(PermissionDenied):
            services.message_confirm_identifier_parts(actor=getattr(cast, who.split("_")[0]), message_id=message.pk,
                                                      version=1, reason="Fine")
        assert not IdentifierPartConfirmation.objects.exists() and not Decision.objects.exists()

    def test_outsiders_do_not_find_the_message(self, cast, incident, restricted):
        message = to_partners(cast, restricted, "At Brookfield.")
        for who in (cast.charlie, cast.sam):
            with pytest.raises(Http404):
                services.message_confirm_identifier_parts(actor=who, message_id=message.pk, version=1, reason="r")
        with pytest.raises(PermissionDenied):
            services.message_confirm_identifier_parts(actor=cast.olive, message_id=message.pk, version=1, reason="r")

    @pytest.mark.parametrize("reason, version, field", [
        ("", 1, "reason"), ("   ", 1, "reason"), ("x" * 1001, 1, "reason"), ("Fine", "one", "version"),
        ("Fine", None, "version"),
    ])
    def test_bad_input_changes_nothing(self, cast, message, incident, reason, version, field):
        before = event_types(incident)
        with pytest.raises(InvalidInput) as invalid:
            services.message_confirm_identifier_parts(actor=cast.cora, message_id=message.pk, version=version,
                                                      reason=reason)
        assert field in invalid.value.errors
        assert event_types(incident) == before and not IdentifierPartConfirmation.objects.exists()

    def test_refusals_in_words(self, cast, incident):
        protect(cast, incident, "Brookfield Primary School", "school")
        clean = approve(cast, to_partners(cast, incident, "Police are leading.", subject="Clean"))
        with pytest.raises(Conflict) as refused:
            confirm(cast, clean)
        assert refused.value.code == "nothing_to_confirm"
        message = approve(cast, to_partners(cast, incident, "At Brookfield."))
        with pytest.raises(Conflict) as refused:
            services.message_confirm_identifier_parts(actor=cast.cora, message_id=message.pk, version=2, reason="r")
        assert refused.value.code == "stale_version"
        confirm(cast, message)
        with pytest.raises(Conflict) as refused:
            confirm(cast, message)
        assert refused.value.code == "already_confirmed"
        comms_releases.message_release(actor=cast.cora, message_id=message.pk)
        with pytest.raises(Conflict) as refused:
            confirm(cast, Message.objects.get(pk=message.pk))
        assert refused.value.code == "not_confirmable"
        assert Decision.objects.filter(incident=incident).count() == 1

    def test_an_edit_voids_it(self, cast, incident):
        protect(cast, incident, "Brookfield Primary School", "school")
        message = approve(cast, to_partners(cast, incident, "A vigil at Brookfield."))
        confirm(cast, message)
        services.message_edit(actor=cast.alice, message_id=message.pk,
                              changes={"body": "A vigil at Brookfield, at 7pm."})
        message = approve(cast, Message.objects.get(pk=message.pk))
        assert message.version == 2
        with pytest.raises(GateRefused) as refused:
            comms_releases.message_release(actor=cast.cora, message_id=message.pk)
        assert refused.value.gate == "identifier_part_found"
        voided = IdentifierPartConfirmation.objects.get()
        assert voided.voided_at is not None and "version 2" in voided.voided_reason
        assert "message.part_confirmation_voided" in event_types(incident)
        confirm(cast, message)
        assert comms_releases.message_release(actor=cast.cora, message_id=message.pk).status == "released"

    def test_a_part_protected_after_the_confirmation_needs_its_own(self, cast, incident):
        protect(cast, incident, "Brookfield Primary School", "school")
        message = approve(cast, to_partners(cast, incident, "A vigil at Brookfield, led by the Okonkwos."))
        confirm(cast, message)
        protect(cast, incident, "Amelia Okonkwo", "name")
        with pytest.raises(GateRefused) as refused:
            comms_releases.message_release(actor=cast.cora, message_id=message.pk)
        assert refused.value.gate == "identifier_part_found" and "protected name" in refused.value.detail
        confirm(cast, message, reason="The Okonkwos are the vicar's family and lead the vigil publicly.")
        assert comms_releases.message_release(actor=cast.cora, message_id=message.pk).status == "released"


def test_the_now_page_says_what_the_release_waits_for(cast, message):
    from comms.contributions import now_items

    [mine] = [i for i in now_items(cast.cora, timezone.now()) if i.kind == "release"]
    assert "waiting for the comms lead to confirm part of a protected identifier" in mine.why
    assert mine.why.endswith("You can confirm it, giving a reason.")
    [theirs] = [i for i in now_items(cast.tom, timezone.now()) if i.kind == "release"]
    assert "comms lead to confirm" in theirs.why and "You can confirm" not in theirs.why


class TestApi:
    def test_the_gate_answers_409_and_says_who_may_confirm(self, cast, message, api, incident):
        response = api(cast.tom).post(f"/api/messages/{message.pk}/release/", {}, format="json")
        assert response.status_code == 409 and response.json()["gate"] == "identifier_part_found"
        data = api(cast.tom).get(f"/api/messages/{message.pk}/").json()
        [gate] = data["release"]["blocked_by"]
        assert gate["code"] == "identifier_part_found" and not gate["overridable"]
        assert gate["step"]["you_may"] is False and [p["username"] for p in gate["step"]["who"]] == ["cora"]
        assert "confirm_identifier_parts" not in data["allowed_actions"]
        assert "confirm_identifier_parts" in api(cast.cora).get(f"/api/messages/{message.pk}/").json()["allowed_actions"]

    @pytest.mark.parametrize("value, kind, text", EVASIONS[1::4])
    def test_an_evasion_answers_409_at_release(self, cast, api, incident, value, kind, text):
        message = approved_then_protected(cast, incident, value, kind, text)
        response = api(cast.cora).post(f"/api/messages/{message.pk}/release/", {}, format="json")
        assert response.status_code == 409 and response.json()["gate"] == "identifier_found"

    def test_confirm_then_release(self, cast, message, api, incident):
        url = f"/api/messages/{message.pk}/confirm-identifier-parts/"
        response = api(cast.cora).post(url, {"version": 1, "reason": "The park, not the school."}, format="json")
        assert response.status_code == 200, response.json()
        [confirmation] = response.json()["part_confirmations"]
        assert confirmation == {**confirmation, "version": 1, "confirmed_by": "cora", "voided": False,
                                "reason": "The park, not the school.", "decision": 1}
        assert response.json()["release"]["blocked_by"] == []
        released = api(cast.cora).post(f"/api/messages/{message.pk}/release/", {}, format="json")
        assert released.status_code == 200 and released.json()["status"] == "released"

    def test_bad_input_answers_400_with_field_messages(self, cast, message, api, incident):
        url = f"/api/messages/{message.pk}/confirm-identifier-parts/"
        for body, fields in (({}, {"version", "reason"}), ({"version": 1, "reason": ""}, {"reason"}),
                             ({"version": "1", "reason": 5}, {"version", "reason"}),
                             ({"version": 1, "reason": "x" * 1001}, {"reason"})):
            response = api(cast.cora).post(url, body, format="json")
            assert response.status_code == 400 and set(response.json()) == fields, response.json()
        assert not IdentifierPartConfirmation.objects.exists()

    def test_who_may(self, cast, message, api, incident, restricted):
        hidden = to_partners(cast, restricted, "At Brookfield.")
        body = {"version": 1, "reason": "Fine"}
        for who in (cast.alice, cast.tom, cast.bob, cast.olive):
            assert api(who).post(f"/api/messages/{message.pk}/confirm-identifier-parts/", body,
                                 format="json").status_code == 403
        assert api(cast.charlie).post(f"/api/messages/{message.pk}/confirm-identifier-parts/", body,
                                      format="json").status_code == 404
        assert api(cast.sam).post(f"/api/messages/{hidden.pk}/confirm-identifier-parts/", body,
                                  format="json").status_code == 404

    def test_which_words_only_for_those_who_may_see_the_identifiers(self, cast, api, incident):
        identifier = protect(cast, incident, "Brookfield Primary School", "school")
        message = to_partners(cast, incident, "At Br\u043eokfield.")
        data = api(cast.cora).get(f"/api/messages/{message.pk}/").json()
        assert data["identifier_parts"] == [
            {"identifier": identifier.pk, "kind": "school", "word": "Brookfield", "found": "Brookfield"}]
        assert api(cast.bob).get(f"/api/messages/{message.pk}/").json()["identifier_parts"] is None
        listed = api(cast.olive).get(f"/api/incidents/{incident.pk}/messages/").json()["results"]
        assert listed[0]["identifier_parts"] is None


class TestPages:
    def login(self, client, user):
        client.force_login(user)
        return client

    def test_the_comms_lead_sees_the_words_and_the_confirm_form(self, cast, message, client, incident):
        body = self.login(client, cast.cora).get(f"/messages/{message.pk}/").content.decode()
        assert "“Brookfield” (part of “Brookfield Primary School”)" in body
        assert 'id="confirm-parts"' in body and 'data-gate="identifier_part_found"' in body

    def test_others_are_told_who_may_confirm_and_not_what_is_protected(self, cast, message, client, incident):
        body = self.login(client, cast.tom).get(f"/messages/{message.pk}/").content.decode()
        assert "Cora Comms (communications lead) can confirm that it does not identify" in body
        assert 'id="confirm-parts"' not in body and "Brookfield Primary School" in body  # Tom is a keeper
        member_change_role(actor=cast.alice, incident_id=incident.pk, username="cora", role="member", reason="r")
        body = self.login(client, cast.cora).get(f"/messages/{message.pk}/").content.decode()
        assert "part of a protected school" in body and "Brookfield Primary School" not in body
        assert 'id="confirm-parts"' not in body

    def test_confirm_then_release(self, cast, message, client, incident):
        self.login(client, cast.cora)
        refused = client.post(f"/messages/{message.pk}/release/")
        assert refused.status_code == 409 and "part of a protected school" in refused.content.decode()
        response = client.post(f"/messages/{message.pk}/confirm-parts/", {"version": "1", "reason": "The park."})
        assert response.status_code == 302
        page = client.get(f"/messages/{message.pk}/").content.decode()
        assert 'data-testid="part-confirmations"' in page and "The park." in page and 'id="confirm-parts"' not in page
        assert client.post(f"/messages/{message.pk}/release/").status_code == 302
        assert Message.objects.get(pk=message.pk).status == "released"

    def test_a_missing_reason_is_a_form_error(self, cast, message, client, incident):
        response = self.login(client, cast.cora).post(f"/messages/{message.pk}/confirm-parts/",
                                                      {"version": "1", "reason": ""})
        body = response.content.decode()
        assert response.status_code == 400 and "govuk-error-summary" in body
        assert "Say why these words do not identify the child or family" in body
        assert not IdentifierPartConfirmation.objects.exists()

    def test_a_stale_version_is_explained(self, cast, message, client, incident):
        response = self.login(client, cast.cora).post(f"/messages/{message.pk}/confirm-parts/",
                                                      {"version": "7", "reason": "Fine"})
        assert response.status_code == 409 and "now at version 1" in response.content.decode()

    def test_not_the_comms_lead(self, cast, message, client, incident, restricted):
        assert self.login(client, cast.alice).post(f"/messages/{message.pk}/confirm-parts/",
                                                   {"version": "1", "reason": "Fine"}).status_code == 403
        assert self.login(client, cast.charlie).post(f"/messages/{message.pk}/confirm-parts/",
                                                     {"version": "1", "reason": "Fine"}).status_code == 404
        assert not IdentifierPartConfirmation.objects.exists()

    @pytest.mark.parametrize("value, kind, text", EVASIONS[2::4])
    def test_an_evasion_is_refused_on_the_page(self, cast, client, incident, value, kind, text):
        message = approved_then_protected(cast, incident, value, kind, text)
        response = self.login(client, cast.cora).post(f"/messages/{message.pk}/release/")
        assert response.status_code == 409 and "could identify the child or family" in response.content.decode()
        assert Message.objects.get(pk=message.pk).status == "approved"


class TestTheLiveCheckIsTheGate:
    def check(self, client, incident, body, audience="partners"):
        return client.post(f"/incidents/{incident.pk}/comms/check/",
                           {"audience": audience, "subject": "Update", "body": body}).content.decode()

    @pytest.mark.parametrize("value, kind, text", EVASIONS)
    def test_what_the_editor_says_is_what_the_gate_does(self, cast, client, incident, value, kind, text):
        protect(cast, incident, value, kind)
        client.force_login(cast.cora)
        shown = self.check(client, incident, text)
        assert f"“{escape(value)}”" in shown and "cannot be approved or released to this audience" in shown
        message = to_partners(cast, incident, text)
        assert [code for code, _ in comms_gates.failing_gates(message)] == ["approval_required", "identifier_found"]

    @pytest.mark.parametrize("value, kind, text, word", PARTS)
    def test_a_part_in_the_editor_is_a_part_at_the_gate(self, cast, client, incident, value, kind, text, word):
        protect(cast, incident, value, kind)
        client.force_login(cast.cora)
        shown = self.check(client, incident, text)
        assert f"(part of “{value}”)" in shown and word.lower() in shown.lower() and "comms lead must confirm" in shown
        assert "cannot be approved or released" not in shown
        message = to_partners(cast, incident, text)
        assert [code for code, _ in comms_gates.failing_gates(message)] == ["approval_required", "identifier_part_found"]

    def test_a_part_is_named_only_to_those_who_may_see_the_identifiers(self, cast, client, incident):
        protect(cast, incident, "Brookfield Primary School", "school")
        member_change_role(actor=cast.alice, incident_id=incident.pk, username="cora", role="member", reason="r")
        client.force_login(cast.cora)
        shown = self.check(client, incident, "At Brookfield.")
        assert "part of a protected school" in shown and "Brookfield" not in shown
        internal = self.check(client, incident, "At Brookfield.", audience="all_staff")
        assert "Internal messages may go ahead" in internal

    @pytest.mark.parametrize("subject, body, said", [
        ("Update", "Hollins. " + "b" * 20_000, "Message: Keep this to 20,000 characters or fewer (it has 20,009)."),
        ("Hollins " + "s" * 200, "The Hollins family.", "Subject: Keep this to 200 characters or fewer (it has 208)."),
        ("Update", "Hollins " * 312_500, "Message: Keep this to 20,000 characters or fewer (it has 2,499,999)."),
        ("Update\nBcc: x@example.org", "The Hollins family.", "Subject: Keep this to one line"),
        ("Update", "The \u202esnilloH\u202c family.", "Message: This contains a character that changes the direction"),
    ])
    def test_text_a_message_could_not_hold_is_answered_with_why_and_not_checked(self, cast, client, incident,
                                                                                subject, body, said):
        protect(cast, incident, "Hollins")
        client.force_login(cast.cora)
        with mock.patch.object(identifier_matching, "message_findings") as spy:
            response = client.post(f"/incidents/{incident.pk}/comms/check/",
                                   {"audience": "press_statement", "subject": subject, "body": body})
        shown = response.content.decode()
        assert response.status_code == 400 and not spy.called
        assert "has not been checked for protected identifiers" in shown and escape(said) in shown
        assert "identifier-warning" not in shown

    def test_text_at_the_limits_is_checked(self, cast, client, incident):
        protect(cast, incident, "Hollins")
        client.force_login(cast.cora)
        response = client.post(f"/incidents/{incident.pk}/comms/check/", {
            "audience": "press_statement", "subject": "s" * 192 + " Hollins", "body": "The Hollins " + "b" * 19_988})
        assert response.status_code == 200 and "cannot be approved or released" in response.content.decode()

    def test_one_function_for_both(self, cast, client, incident):
        protect(cast, incident, "Hollins")
        message = to_partners(cast, incident, "The H0llins family.")
        client.force_login(cast.cora)
        with mock.patch.object(identifier_matching, "message_findings",
                               wraps=identifier_matching.message_findings) as spy:
            self.check(client, incident, "The H0llins family.")
            comms_gates.failing_gates(message)
        assert [c.args[:2] for c in spy.call_args_list] == [("Update", "The H0llins family."),
                                                           ("Update for partners", "The H0llins family.")]
