"""Boards that show progress (issue 11, point 2): what a person sees of a message's way to release.

An approvals card says which approvals it has and which it still needs, and what else would stop its
release, with who can override and a link to act. A blocked message page offers no Release button that would
only be refused: it says what must happen first, each step linked. The API says the same, from the same code
the release service uses. Alice leads the incident, Tom is its tactical lead, Cora its comms lead.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from html.parser import HTMLParser

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comms import progress as comms_progress
from comms import protect as comms_protect
from comms import releases as comms_releases
from comms import services
from comms.models import Approval, Message
from comms.policy import approval_complete
from incidents.models import Decision
from people.models import User
from tests.factories import open_incident

PRESS = {"audience": "press_statement", "subject": "Statement on the death of a child",
         "body": "We are deeply saddened. We are working with the police."}
BRIEFING = {"audience": "all_staff", "subject": "Sad news for the team", "body": "We are very sorry to tell you."}


# --- reading a page as a person would ----------------------------------------------------------------------


class _Text(HTMLParser):
    """The text of some HTML as it is seen (no visually hidden words) or heard (no aria-hidden marks)."""

    def __init__(self, skip: str):
        super().__init__()
        self.skip, self.depth, self.parts = skip, 0, []

    def _skipped(self, attrs) -> bool:
        attrs = dict(attrs)
        if self.skip == "seen":
            return "govuk-visually-hidden" in (attrs.get("class") or "").split()
        return attrs.get("aria-hidden") == "true"

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "input", "img", "meta", "link"):
            return
        if self.depth or self._skipped(attrs):
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def _read(html: str, skip: str) -> str:
    parser = _Text(skip)
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


def seen(html: str) -> str:
    return _read(html, "seen")


def heard(html: str) -> str:
    return _read(html, "heard")


def card(body: str, message: Message) -> str:
    found = re.search(rf'<article class="harbour-card" data-message-id="{message.pk}">.*?</article>', body, re.S)
    assert found, f"no card for message {message.pk}"
    return found.group(0)


def links(html: str) -> dict[str, str]:
    """Each link's words (as seen) and where it goes."""
    return {seen(text): href.replace("&amp;", "&")
            for href, text in re.findall(r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', html, re.S)}


def login(client, user):
    client.force_login(user)
    return client


# --- the story's steps -------------------------------------------------------------------------------------


def submitted(cast, incident, **values) -> Message:
    message = services.message_draft(actor=cast.alice, incident_id=incident.pk, **{**PRESS, **values})
    return services.message_submit(actor=cast.alice, message_id=message.pk)


def approve(user, message) -> Message:
    return services.message_approve(actor=user, message_id=message.pk, version=message.version)


def approved(cast, incident, **values) -> Message:
    message = submitted(cast, incident, **values)
    approve(cast.cora, message)
    return approve(cast.tom, message)


def brief_staff(cast, incident) -> Message:
    briefing = submitted(cast, incident, **BRIEFING)
    approve(cast.cora, briefing)
    return comms_releases.message_release(actor=cast.cora, message_id=briefing.pk)


def tell_family(cast, incident) -> None:
    comms_protect.family_informed_record(actor=cast.alice, incident_id=incident.pk, informed_by="Police FLO",
                                    informed_at=timezone.now() - dt.timedelta(hours=1))


@pytest.fixture
def disorder(cast):
    """An incident that is not a death: only the staff briefing stands between a statement and the press."""
    return open_incident(cast, kind="community_violence", title="Disorder in the town centre")


# --- the approvals board -----------------------------------------------------------------------------------


@pytest.mark.django_db
class TestTheCard:
    def test_a_card_with_one_of_two_approvals_says_which_it_has_and_which_it_needs(self, cast, client, incident):
        message = submitted(cast, incident)
        approve(cast.cora, message)
        shown = card(login(client, cast.tom).get("/approvals/").content.decode(), message)
        assert "Communications ✓ · Command —" in seen(shown)
        assert "Approvals: Communications approved, Command still needed" in heard(shown)
        assert "✓" not in heard(shown) and "—" not in heard(shown)
        assert "Approved by Cora Comms (communications)." in seen(shown)

    def test_the_card_moves_on_as_approvals_come_in(self, cast, client, incident):
        message = submitted(cast, incident)
        login(client, cast.cora)
        assert "Communications — · Command —" in seen(card(client.get("/approvals/").content.decode(), message))
        approve(cast.tom, message)
        shown = seen(card(client.get("/approvals/").content.decode(), message))
        assert "Communications — · Command ✓" in shown and "Approved by Tom Tactical (command)." in shown

    def test_an_internal_message_needs_one_approval_from_either_side(self, cast, client, incident):
        message = submitted(cast, incident, **BRIEFING)
        login(client, cast.tom)
        assert "Communications or command —" in seen(card(client.get("/approvals/").content.decode(), message))
        approve(cast.cora, message)
        shown = card(client.get("/approvals/").content.decode(), message)
        assert "Communications or command ✓" in seen(shown) and "Approved by Cora Comms." in seen(shown)
        assert "Ready to release." in seen(shown)

    def test_a_card_blocked_by_the_staff_briefing_says_so_and_names_who_can_override(self, cast, client, disorder):
        message = approved(cast, disorder)
        shown = card(login(client, cast.cora).get("/approvals/").content.decode(), message)
        text = seen(shown)
        assert "Communications ✓ · Command ✓" in text
        assert "Waiting for the staff briefing." in text
        assert "Alice Adams (lead) or Tom Tactical (tactical lead) can release it anyway, giving a reason." in text
        assert "Ready to release" not in text
        assert links(shown)["Draft the staff briefing"] == f"/incidents/{disorder.pk}/comms/new/?audience=all_staff"
        assert "Release it anyway, with a reason" not in links(shown)  # Cora may not override
        # The tactical lead may: the card takes him to the override.
        tom = card(login(client, cast.tom).get("/approvals/").content.decode(), message)
        assert links(tom)["Release it anyway, with a reason"] == f"/messages/{message.pk}/#release"

    def test_once_staff_are_briefed_the_card_is_ready(self, cast, client, disorder):
        message = approved(cast, disorder)
        brief_staff(cast, disorder)
        shown = seen(card(login(client, cast.cora).get("/approvals/").content.decode(), message))
        assert "Waiting for" not in shown and "Ready to release." in shown

    def test_a_death_waits_for_the_family_too_and_names_who_records_it(self, cast, client, incident):
        message = approved(cast, incident)
        shown = card(login(client, cast.cora).get("/approvals/").content.decode(), message)
        assert "Waiting for a record that the family has been told." in seen(shown)
        assert ("Alice Adams (lead) or Tom Tactical (tactical lead) can record that the family has been told."
                in seen(shown))
        assert "Record that the family has been told" not in links(shown)  # not Cora's to record
        tom = card(login(client, cast.tom).get("/approvals/").content.decode(), message)
        assert links(tom)["Record that the family has been told"] == f"/incidents/{incident.pk}/comms/#family_informed_at"

    def test_the_board_costs_the_same_however_many_cards_it_shows(self, cast, client, incident, disorder):
        def board_queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get("/approvals/panel/").status_code == 200
            return len(captured.captured_queries)

        def some_of_everything():
            for where in (incident, disorder):
                approved(cast, where)
                submitted(cast, where, **BRIEFING)
                approve(cast.cora, submitted(cast, where))

        some_of_everything()
        login(client, cast.cora)
        fewer = board_queries()
        for _ in range(3):
            some_of_everything()
        assert board_queries() == fewer, "the board's reads must not grow with its cards"
        assert fewer <= 30, fewer  # a handful per incident: its gates, the people named, the person's roles


# --- the message page --------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestTheMessagePage:
    def test_a_blocked_release_offers_no_release_button_but_the_steps_to_take(self, cast, client, incident):
        message = approved(cast, incident)
        body = login(client, cast.cora).get(f"/messages/{message.pk}/").content.decode()
        assert "Release now" not in body and f'action="/messages/{message.pk}/release/"' not in body
        steps = re.search(r'<ol [^>]*data-testid="gates">.*?</ol>', body, re.S).group(0)
        assert "Staff must hear before the press" in seen(steps) and "The family must be told first" in seen(steps)
        assert ("Alice Adams (lead) or Tom Tactical (tactical lead) can release it anyway, giving a reason that goes "
                "in the decision log.") in seen(steps)
        assert "It can be released once the steps above are done." in seen(body)

        # The step is a link that works: the editor, with all staff chosen.
        draft = links(steps)["Draft the staff briefing"]
        editor = client.get(draft).content.decode()
        assert re.search(r'name="audience" type="radio" value="all_staff" checked', editor)
        # Recording the family's being told is the lead's or tactical lead's: Cora is told who.
        assert ("Alice Adams (lead) or Tom Tactical (tactical lead) can record that the family has been told."
                in seen(steps))
        assert "Record that the family has been told" not in links(steps)

    def test_the_tactical_lead_is_linked_to_the_family_record_and_offered_the_override(self, cast, client, incident):
        message = approved(cast, incident)
        body = login(client, cast.tom).get(f"/messages/{message.pk}/").content.decode()
        record = links(body)["Record that the family has been told"]
        page, anchor = record.split("#")
        assert f'id="{anchor}"' in client.get(page).content.decode()  # the form's first field
        assert "Release now" not in body and "Release anyway" in body and "Reason to release anyway" in body
        response = client.post(f"/messages/{message.pk}/release/", {"override_reason": "The family asked us to."})
        assert response.status_code == 302
        message.refresh_from_db()
        assert message.is_released and set(message.overridden_gates) == {"staff_not_briefed", "family_not_informed"}
        assert Decision.objects.filter(incident=incident, rationale="The family asked us to.").exists()

    def test_a_briefing_on_its_way_is_the_step_to_finish(self, cast, client, disorder):
        message = approved(cast, disorder)
        briefing = submitted(cast, disorder, **BRIEFING)
        body = login(client, cast.cora).get(f"/messages/{message.pk}/").content.decode()
        label = "See the staff briefing “Sad news for the team” through to release (it is in review)"
        assert links(body)[label] == f"/messages/{briefing.pk}/"

    def test_a_ready_release_shows_release(self, cast, client, incident):
        message = approved(cast, incident)
        brief_staff(cast, incident)
        tell_family(cast, incident)
        body = login(client, cast.cora).get(f"/messages/{message.pk}/").content.decode()
        assert "Release now" in body and 'data-testid="gates"' not in body and "Release anyway" not in body
        assert "Communications ✓ · Command ✓" in seen(body)
        assert client.post(f"/messages/{message.pk}/release/").status_code == 302
        message.refresh_from_db()
        assert message.is_released

    def test_a_protected_identifier_cannot_be_overridden_and_links_to_the_editor(self, cast, client, incident):
        message = approved(cast, incident, body="Our thoughts are with everyone at Brookfield Primary.")
        brief_staff(cast, incident)
        tell_family(cast, incident)
        # Protected after the approval: the release checks the text against the list as it is now.
        comms_protect.identifier_add(actor=cast.cora, incident_id=incident.pk, value="Brookfield Primary", kind="school")
        body = login(client, cast.tom).get(f"/messages/{message.pk}/").content.decode()
        assert links(body)["Edit the message to take out the protected identifier"] == f"/messages/{message.pk}/edit/"
        assert "Release now" not in body and "Release anyway" not in body
        assert "can release it anyway" not in seen(body)

    def test_someone_who_can_take_no_step_is_told_who_can(self, cast, client, incident):
        message = approved(cast, incident)
        body = login(client, cast.bob).get(f"/messages/{message.pk}/").content.decode()
        steps = re.search(r'<ol [^>]*data-testid="gates">.*?</ol>', body, re.S).group(0)
        assert links(steps) == {}  # Bob may neither draft nor record: no link to a refusal
        assert "can record that the family has been told" in seen(steps)

    def test_waiting_for_approval_the_page_says_which_approval_is_missing(self, cast, client, incident):
        message = submitted(cast, incident)
        approve(cast.cora, message)
        body = login(client, cast.tom).get(f"/messages/{message.pk}/").content.decode()
        assert links(body)["Approve it (still needed: command)"] == f"/messages/{message.pk}/#message-actions"
        assert 'id="message-actions"' in body

    def test_a_scheduled_release_past_overridden_gates_is_not_shown_as_blocked(self, cast, client, incident):
        message = approved(cast, incident, release_at=timezone.now() + dt.timedelta(hours=2))
        comms_releases.message_release(actor=cast.tom, message_id=message.pk, override_reason="Agreed with the family")
        body = login(client, cast.cora).get(f"/messages/{message.pk}/").content.decode()
        assert 'data-testid="gates"' not in body
        progress = comms_progress.release_progress(Message.objects.get(pk=message.pk), cast.cora)
        assert progress.ready and progress.blocked_by == ()


# --- the API -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestTheApi:
    def test_the_message_says_what_its_release_needs(self, cast, api, incident):
        message = submitted(cast, incident)
        approve(cast.cora, message)
        release = api(cast.cora).get(f"/api/messages/{message.pk}/").json()["release"]
        assert release["ready"] is False and release["overridable"] is False and release["you_may_override"] is False
        assert release["approvals"] == [
            {"side": "communications", "label": "Communications", "held": True, "by": "cora", "by_name": "Cora Comms"},
            {"side": "command", "label": "Command", "held": False, "by": None, "by_name": None},
        ]
        blocked = {b["code"]: b for b in release["blocked_by"]}
        assert list(blocked) == ["approval_required", "staff_not_briefed", "family_not_informed"]
        assert blocked["approval_required"]["override_by"] == [] and not blocked["approval_required"]["overridable"]
        assert blocked["staff_not_briefed"]["reason"].startswith("Staff must hear before the press")
        assert blocked["staff_not_briefed"]["waiting_for"] == "the staff briefing"
        assert blocked["staff_not_briefed"]["override_by"] == [
            {"username": "alice", "name": "Alice Adams", "role": "lead"},
            {"username": "tom", "name": "Tom Tactical", "role": "tactical lead"},
        ]
        assert blocked["staff_not_briefed"]["step"] == {
            "label": "Draft the staff briefing", "url": f"/incidents/{incident.pk}/comms/new/?audience=all_staff", "you_may": True,
            "who": []}
        family = blocked["family_not_informed"]["step"]
        assert family["you_may"] is False and [p["username"] for p in family["who"]] == ["alice", "tom"]

    def test_the_tactical_lead_may_override_once_only_overridable_gates_are_left(self, cast, api, incident):
        message = approved(cast, incident)
        release = api(cast.tom).get(f"/api/messages/{message.pk}/").json()["release"]
        assert release["overridable"] and release["you_may_override"] and not release["ready"]
        assert api(cast.cora).get(f"/api/messages/{message.pk}/").json()["release"]["you_may_override"] is False

    def test_ready_and_in_the_list_too(self, cast, api, incident):
        message = approved(cast, incident)
        brief_staff(cast, incident)
        tell_family(cast, incident)
        release = api(cast.cora).get(f"/api/messages/{message.pk}/").json()["release"]
        assert release["ready"] is True and release["blocked_by"] == []
        listed = api(cast.olive).get(f"/api/incidents/{incident.pk}/messages/").json()["results"]
        assert next(m for m in listed if m["id"] == message.pk)["release"]["ready"] is True


# --- who may see and do what -------------------------------------------------------------------------------


@pytest.mark.django_db
class TestAccess:
    CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')

    def test_a_hidden_message_is_not_found_exactly_as_an_absent_one(self, cast, client, api, restricted):
        hidden = approved(cast, restricted)
        login(client, cast.sam)
        answers = [client.get(f"/messages/{pk}/") for pk in (hidden.pk, 987_654_321)]
        assert [a.status_code for a in answers] == [404, 404]
        assert self.CSRF.sub(b"", answers[0].content) == self.CSRF.sub(b"", answers[1].content)
        answers = [api(cast.sam).get(f"/api/messages/{pk}/") for pk in (hidden.pk, 987_654_321)]
        assert [a.status_code for a in answers] == [404, 404] and answers[0].content == answers[1].content
        assert "Statement on the death" not in client.get("/approvals/").content.decode()

    def test_outsiders_get_404_and_members_not_allowed_get_403(self, cast, client, api, incident):
        message = approved(cast, incident)
        assert login(client, cast.charlie).get(f"/messages/{message.pk}/").status_code == 404
        assert api(cast.charlie).get(f"/api/messages/{message.pk}/").status_code == 404
        assert login(client, cast.bob).post(f"/messages/{message.pk}/release/",
                                            {"override_reason": "Please"}).status_code == 403
        assert api(cast.olive).post(f"/api/messages/{message.pk}/release/", {"override_reason": "Please"},
                                    format="json").status_code == 403
        # Cora may release but not override: the gate refuses her, and says why.
        response = api(cast.cora).post(f"/api/messages/{message.pk}/release/", {"override_reason": "Please"},
                                       format="json")
        assert response.status_code == 403
        message.refresh_from_db()
        assert not message.is_released


# --- one rule of approval ----------------------------------------------------------------------------------


def test_the_approvals_shown_agree_with_the_rule_the_release_applies():
    """Every side shows ✓ exactly when `approval_complete` (the release's own test) says it is approved, for
    every mix of people, sides, voided and out-of-date approvals."""
    people = [User(pk=n, username=f"p{n}", full_name=f"Person {n}") for n in (1, 2, 3)]
    sides = [(True, False), (False, True), (True, True)]
    kinds = [(1, None), (2, None), (1, timezone.now())]  # current, out of date, voided
    options = [Approval(approver=p, as_comms=c, as_command=d, version=v, voided_at=voided)
               for p in people for c, d in sides for v, voided in kinds]
    for audience in ("press_statement", "partners", "all_staff"):
        message = Message(audience=audience, version=1)
        for size in range(4):
            for chosen in itertools.combinations(options, size):
                held = comms_progress.approvals_held(message, chosen)
                complete = approval_complete(message, chosen)
                assert all(a.held for a in held) == complete, (audience, chosen)
                assert len({a.by.pk for a in held if a.held}) == sum(a.held for a in held)  # one person, once


# --- live ---------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_approving_redraws_the_board_card(cast, incident):
    from tests.test_comms_sockets import board

    message = await database_sync_to_async(submitted)(cast, incident)
    await database_sync_to_async(approve)(cast.cora, message)
    watcher = await board(cast.cora)

    await database_sync_to_async(approve)(cast.tom, message)
    update = await watcher.receive_json_from(timeout=5)
    assert update["type"] == "message.updated" and update["message"]["id"] == message.pk
    release = update["message"]["release"]
    assert [(a["label"], a["held"], a["by"]) for a in release["approvals"]] == [
        ("Communications", True, "cora"), ("Command", True, "tom")]
    assert [b["code"] for b in release["blocked_by"]] == ["staff_not_briefed", "family_not_informed"]

    def redrawn() -> str:  # what the board's panel shows when the page redraws on that event
        client = Client()
        client.force_login(cast.cora)
        return client.get("/approvals/panel/").content.decode()

    shown = seen(card(await database_sync_to_async(redrawn)(), message))
    assert "Communications ✓ · Command ✓" in shown and "Waiting for the staff briefing." in shown
    await watcher.disconnect()
