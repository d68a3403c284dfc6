"""What needs me now (issue 11, point 1): for each person, everything that waits on them, soonest first,
each with why it is theirs and where to act; the page, `GET /api/me/now/` and the socket `/ws/me/now/`.
Nothing of what a person may not see is ever on their list, nor does their socket stir for it."""

from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clocks import services as clocks
from clocks.models import Obligation
from comms import media as comms_media
from comms import releases as comms_releases
from comms import services as comms
from config.asgi import application
from incidents import services
from incidents.membership import member_add
from incidents.now import now_digest, now_for
from support import debriefing as support_debriefing
from support import services as support
from tests.factories import ask_for_support, open_incident
from tests.test_sockets import HOST, ORIGIN, session_headers

pytestmark = pytest.mark.django_db


def kinds(person) -> list[tuple[str, str]]:
    return [(item.kind, item.title) for item in now_for(person)]


def press_statement(cast, incident, subject="Statement to the press"):
    message = comms.message_draft(actor=cast.alice, incident_id=incident.pk, audience="press_statement",
                                  subject=subject, body="Our thoughts are with everyone affected.")
    comms.message_submit(actor=cast.alice, message_id=message.pk)
    return message


def quiet(incident):
    """Put every deadline of the incident weeks away (some fall due the day an incident opens)."""
    later = timezone.now() + dt.timedelta(days=30)
    Obligation.objects.filter(incident=incident).update(due_at=later, remind_at=later - dt.timedelta(days=1))


def due_now(incident, code="panel_notification", *, hours_ago=1):
    """Bring one obligation's deadline forward, as if the incident had been open for days; the others are
    weeks away."""
    quiet(incident)
    when = timezone.now() - dt.timedelta(hours=hours_ago)
    Obligation.objects.filter(incident=incident, code=code).update(
        started_at=when - dt.timedelta(days=3), due_at=when, remind_at=when - dt.timedelta(days=1))
    return Obligation.objects.get(incident=incident, code=code)


@pytest.mark.across_the_week
class TestWhatWaitsOnWhom:
    def test_a_message_in_review_waits_on_each_side_that_has_not_approved(self, cast, incident):
        message = press_statement(cast, incident)
        assert ("approval", "Statement to the press") in kinds(cast.cora)
        assert ("approval", "Statement to the press") in kinds(cast.tom)
        # Nobody approves their own draft, and members and observers do not approve at all.
        for person in (cast.alice, cast.bob, cast.olive, cast.sam, cast.charlie):
            assert ("approval", "Statement to the press") not in kinds(person)

        comms.message_approve(actor=cast.cora, message_id=message.pk, version=1)
        assert ("approval", "Statement to the press") not in kinds(cast.cora)
        (item,) = [i for i in now_for(cast.tom) if i.kind == "approval"]
        assert "Communications ✓ · Command —" in item.why
        assert item.url == f"/messages/{message.pk}/" and item.incident == incident

    def test_an_approved_message_says_what_stops_its_release(self, cast, incident):
        message = press_statement(cast, incident)
        comms.message_approve(actor=cast.cora, message_id=message.pk, version=1)
        comms.message_approve(actor=cast.tom, message_id=message.pk, version=1)
        (item,) = [i for i in now_for(cast.alice) if i.kind == "release"]
        assert item.why == ("Approved, but waiting for the staff briefing and a record that the family has been "
                            "told. You may release it anyway, giving a reason.")
        (item,) = [i for i in now_for(cast.cora) if i.kind == "release"]  # Cora may release, not override
        assert not item.why.endswith("giving a reason.")
        assert [i.kind for i in now_for(cast.bob)].count("release") == 0

    def test_an_unread_briefing_waits_until_it_is_read_even_outside_the_incident(self, cast, incident):
        briefing = comms.message_draft(actor=cast.alice, incident_id=incident.pk, audience="all_staff",
                                       subject="To everyone", body="Plain facts.")
        comms.message_submit(actor=cast.alice, message_id=briefing.pk)
        comms.message_approve(actor=cast.cora, message_id=briefing.pk, version=1)
        comms_releases.message_release(actor=cast.cora, message_id=briefing.pk)
        (item,) = [i for i in now_for(cast.charlie) if i.kind == "briefing"]
        assert item.title == "To everyone" and item.url == f"/inbox/{briefing.pk}/"
        assert item.incident is None  # Charlie may read the briefing, not see the incident
        assert [i for i in now_for(cast.bob) if i.kind == "briefing"][0].incident == incident

        comms_releases.message_acknowledge(actor=cast.charlie, message_id=briefing.pk)
        assert "briefing" not in [i.kind for i in now_for(cast.charlie)]

    def test_a_deadline_due_waits_on_whoever_may_complete_it(self, cast, incident, restricted):
        due_now(incident)
        due_now(restricted)
        for person in (cast.alice, cast.tom):  # they lead both
            items = [i for i in now_for(person) if i.kind == "obligation"]
            assert {i.incident for i in items} == {incident, restricted}, person
            assert all(i.overdue and "Past its deadline" in i.why for i in items)
            assert f"/incidents/{incident.pk}/#clocks" in [i.url for i in items]
        for person in (cast.bob, cast.olive, cast.sam, cast.charlie):
            assert "obligation" not in [i.kind for i in now_for(person)]

        clocks.obligation_done(actor=cast.alice, obligation_id=incident.obligations.get(code="panel_notification").pk,
                                 reference="N-1")
        assert [i.incident for i in now_for(cast.alice) if i.kind == "obligation"] == [restricted]

    def test_a_decision_due_for_review_waits_on_command_and_whoever_took_it(self, cast, incident):
        now = timezone.now()
        services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="Close the family hub",
                                 rationale="Safety", decided_at=now - dt.timedelta(minutes=5),
                                 review_at=now + dt.timedelta(hours=2))
        for person in (cast.alice, cast.tom, cast.bob):
            (item,) = [i for i in now_for(person) if i.kind == "decision_review"]
            assert item.title == "Review decision 1: Close the family hub" and not item.overdue
        for person in (cast.olive, cast.cora, cast.sam):
            assert "decision_review" not in [i.kind for i in now_for(person)]

    def test_a_media_enquiry_past_its_deadline_waits_on_its_owner(self, cast, incident):
        comms_media.media_enquiry_log(actor=cast.cora, incident_id=incident.pk, outlet="Northtown Gazette", journalist="Jo",
                                contact="jo@paper.example", received_at=timezone.now() - dt.timedelta(hours=3),
                                question="Is it true?", deadline=timezone.now() - dt.timedelta(minutes=10))
        (item,) = [i for i in now_for(cast.cora) if i.kind == "media_enquiry"]
        assert item.title == "Media enquiry from Northtown Gazette" and item.overdue
        assert "media_enquiry" not in [i.kind for i in now_for(cast.alice)]

    def test_a_check_in_due_waits_on_the_supporter_and_says_nothing_private(self, cast, incident, people):
        entry = support.register_add(actor=cast.alice, incident_id=incident.pk, user="bob", exposure="witnessed",
                                     reason="Found the child", supporter="pat")
        first = entry.created_follow_ups[0]
        type(first).objects.filter(pk=first.pk).update(due_at=timezone.now() - dt.timedelta(minutes=30))
        (item,) = [i for i in now_for(people.pat) if i.kind == "follow_up"]
        assert item.title.endswith("with Bob Brown") and item.overdue
        assert item.url == f"/support/follow-ups/{first.pk}/"
        assert item.incident is None  # Pat supports Bob without being in the incident
        for person in (cast.alice, people.mike, people.ruth, cast.bob):
            assert "follow_up" not in [i.kind for i in now_for(person)]

    def test_a_request_for_support_waits_on_the_wellbeing_leads_without_naming_a_hidden_incident(
            self, cast, restricted, people):
        ask_for_support(cast, restricted)
        (item,) = [i for i in now_for(people.ruth) if i.kind == "support_request"]
        assert item.title == "Bob Brown asked to talk to someone" and item.incident is None
        assert "support_request" not in [i.kind for i in now_for(cast.alice)]  # not the incident's command
        assert "support_request" not in [i.kind for i in now_for(people.mike)]  # nor his manager

    def test_the_lead_it_is_handed_to_sees_it_once_as_theirs_to_answer(self, cast, incident, people):
        from support.models import FollowUp

        ask_for_support(cast, incident)
        handed = FollowUp.objects.get(kind="support_request")
        mine = [i for i in now_for(handed.assignee) if "asked to talk to someone" in i.title]
        assert [(i.kind, i.url) for i in mine] == [("support_request", f"/support/follow-ups/{handed.pk}/")]
        assert "You are to get in touch" in mine[0].why

    def test_a_debrief_waits_on_its_facilitator_and_an_invitation_until_it_is_answered(self, cast, incident):
        debrief = support_debriefing.debrief_schedule(
            actor=cast.alice, incident_id=incident.pk, kind="hot", starts_at=timezone.now() + dt.timedelta(hours=3),
            duration_minutes=60, location="Ash Room", facilitator="tom", invitees=["bob"])
        assert ("debrief", "Hot debrief") in kinds(cast.tom)
        assert ("invitation", "Hot debrief") in kinds(cast.bob)
        support_debriefing.debrief_rsvp(actor=cast.bob, debrief_id=debrief.pk, response="accepted")
        assert "invitation" not in [i.kind for i in now_for(cast.bob)]

    def test_soonest_first_with_what_has_no_deadline_waiting_now(self, cast, incident):
        now = timezone.now()
        services.decision_record(actor=cast.alice, incident_id=incident.pk, decision="Later", rationale="r",
                                 decided_at=now - dt.timedelta(minutes=1), review_at=now + dt.timedelta(hours=5))
        press_statement(cast, incident, subject="Needs command")
        due_now(incident, hours_ago=2)
        assert [i.kind for i in now_for(cast.tom)] == ["obligation", "approval", "decision_review"]

    def test_nothing_of_a_restricted_incident_reaches_an_outsider(self, cast, restricted):
        press_statement(cast, restricted)
        due_now(restricted)
        for person in (cast.sam, cast.charlie):
            assert now_for(person) == []


class TestThePage:
    def test_home_after_sign_in_is_now(self, cast, client):
        response = client.post("/login/", {"username": "alice", "password": "correct-horse-battery"})
        assert response.status_code == 302 and response["Location"] == "/"

    def test_it_lists_each_item_with_why_and_a_link(self, cast, client, incident):
        quiet(incident)
        message = press_statement(cast, incident)
        client.force_login(cast.tom)
        page = client.get("/").content.decode()
        assert "What needs you now" in page and "One thing needs you" in page
        assert f'href="/messages/{message.pk}/"' in page and "Waiting for your approval" in page
        assert incident.reference in page
        assert 'data-live-socket="/ws/me/now/?seen=' in page

    def test_an_empty_list_says_what_is_fine(self, cast, client):
        client.force_login(cast.charlie)
        page = client.get("/").content.decode()
        assert "Nothing needs you now" in page and "harbour-now__item" not in page

    def test_restricted_work_never_shows_to_an_outsider(self, cast, client, restricted):
        press_statement(cast, restricted, subject="Secret words")
        due_now(restricted)
        client.force_login(cast.sam)
        page = client.get("/").content.decode()
        assert "Secret words" not in page and restricted.reference not in page and "Nothing needs you now" in page

    def test_the_panel_redraws_alone_in_few_queries(self, cast, client, incident, django_assert_max_num_queries):
        press_statement(cast, incident)
        due_now(incident)
        client.force_login(cast.tom)
        with django_assert_max_num_queries(22):
            panel = client.get("/now/panel/").content.decode()
        assert panel.lstrip().startswith('<div id="panel-board"') and "Waiting for your approval" in panel

    def test_the_cost_does_not_grow_with_the_messages_waiting(self, cast, client, incident):
        quiet(incident)
        client.force_login(cast.tom)

        def cost() -> int:
            with CaptureQueriesContext(connection) as queries:
                client.get("/now/panel/")
            return len(queries)

        press_statement(cast, incident, subject="First")
        press_statement(cast, incident, subject="Second")
        few = cost()
        for n in range(6):
            press_statement(cast, incident, subject=f"More {n}")
        assert cost() <= few
        assert len([i for i in now_for(cast.tom) if i.kind == "approval"]) == 8

    def test_signed_out_is_sent_to_sign_in(self, client):
        for path in ("/", "/now/panel/"):
            response = client.get(path)
            assert response.status_code == 302 and response["Location"].startswith("/login/")

    def test_the_incident_list_moved_to_incidents(self, cast, client, incident):
        client.force_login(cast.alice)
        assert incident.reference in client.get("/incidents/").content.decode()


class TestTheApi:
    def test_each_item_has_kind_title_why_url_incident_and_due_at(self, cast, api, incident):
        press_statement(cast, incident)
        obligation = due_now(incident)
        response = api(cast.tom).get("/api/me/now/")
        assert response.status_code == 200
        items = response.json()["items"]
        assert [i["kind"] for i in items] == ["obligation", "approval"]
        first, second = items
        assert first["title"] == obligation.title and first["overdue"] is True and first["label"] == "Deadline"
        assert first["url"] == f"/incidents/{incident.pk}/#clocks"
        assert first["incident"] == {"id": incident.pk, "reference": incident.reference, "title": incident.title}
        assert dt.datetime.fromisoformat(first["due_at"]) == obligation.due_at
        assert second["due_at"] is None and "Waiting for your approval" in second["why"]

    def test_outsiders_get_an_empty_list_and_strangers_are_refused(self, cast, api, restricted):
        press_statement(cast, restricted)
        assert api(cast.sam).get("/api/me/now/").json() == {"items": []}
        assert api(None).get("/api/me/now/").status_code in (401, 403)

    def test_only_get(self, cast, api):
        assert api(cast.alice).post("/api/me/now/", {}).status_code == 405


# --- the socket ------------------------------------------------------------------------------------------


async def now_socket(user, seen: str = "") -> WebsocketCommunicator:
    headers = await database_sync_to_async(session_headers)(user)
    path = "/ws/me/now/" + (f"?seen={seen}" if seen else "")
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_socket_tells_only_the_people_whose_list_changed(cast, settings):
    settings.HARBOUR_NOW_SETTLE_MS = 50
    incident = await database_sync_to_async(open_incident)(cast)
    restricted = await database_sync_to_async(open_incident)(cast, restricted=True, title="Restricted")
    tom, bob, sam = await now_socket(cast.tom), await now_socket(cast.bob), await now_socket(cast.sam)

    message = await database_sync_to_async(press_statement)(cast, incident)
    assert await tom.receive_json_from(timeout=5) == {"type": "now.changed"}
    assert await bob.receive_nothing(timeout=0.5)  # the incident changed, his list did not
    assert await sam.receive_nothing(timeout=0.1)

    await database_sync_to_async(press_statement)(cast, restricted, subject="Secret")
    assert await sam.receive_nothing(timeout=0.5)  # he may not know it exists, let alone that it moved
    assert await tom.receive_json_from(timeout=5) == {"type": "now.changed"}  # Tom is in both

    await database_sync_to_async(comms.message_approve)(actor=cast.tom, message_id=message.pk, version=1)
    assert await tom.receive_json_from(timeout=5) == {"type": "now.changed"}
    for communicator in (tom, bob, sam):
        await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_page_drawn_before_a_change_is_told_when_its_socket_opens(cast, settings):
    incident = await database_sync_to_async(open_incident)(cast)
    stale = await database_sync_to_async(lambda: now_digest(now_for(cast.tom)))()
    await database_sync_to_async(press_statement)(cast, incident)
    socket = await now_socket(cast.tom, seen=stale)
    assert await socket.receive_json_from(timeout=5) == {"type": "now.changed"}
    await socket.disconnect()

    current = await database_sync_to_async(lambda: now_digest(now_for(cast.tom)))()
    socket = await now_socket(cast.tom, seen=current)
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_reading_a_briefing_tells_the_reader_and_a_request_tells_the_wellbeing_leads(cast, people, settings):
    settings.HARBOUR_NOW_SETTLE_MS = 50
    incident = await database_sync_to_async(open_incident)(cast, restricted=True)

    def brief_charlie():
        briefing = comms.message_draft(actor=cast.alice, incident_id=incident.pk, audience="people",
                                       recipients=["charlie"], subject="For Charlie", body="Plain facts.")
        comms.message_submit(actor=cast.alice, message_id=briefing.pk)
        comms.message_approve(actor=cast.cora, message_id=briefing.pk, version=1)
        comms_releases.message_release(actor=cast.cora, message_id=briefing.pk)
        return briefing

    charlie = await now_socket(cast.charlie)  # outside the incident: told by the delivery, not the incident
    briefing = await database_sync_to_async(brief_charlie)()
    assert await charlie.receive_json_from(timeout=5) == {"type": "now.changed"}
    await database_sync_to_async(comms_releases.message_acknowledge)(actor=cast.charlie, message_id=briefing.pk)
    assert await charlie.receive_json_from(timeout=5) == {"type": "now.changed"}  # read: off his list
    await charlie.disconnect()

    ruth = await now_socket(people.ruth)
    await database_sync_to_async(ask_for_support)(cast, incident)
    assert await ruth.receive_json_from(timeout=5) == {"type": "now.changed"}
    await ruth.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_strangers_cannot_open_the_socket(cast):
    communicator = WebsocketCommunicator(application, "/ws/me/now/", headers=[ORIGIN, HOST])
    connected, _ = await communicator.connect(timeout=5)
    assert not connected


class TestLongLists:
    """A source lists at most NOW_MOST of one kind; a longer list says how many more, and where they are."""

    def test_a_cut_list_says_how_many_more_and_where(self, cast, incident, monkeypatch):
        from incidents import now as now_lists

        monkeypatch.setattr(now_lists, "NOW_MOST", 2)
        for n in range(5):
            comms.message_draft(actor=cast.alice, incident_id=incident.pk, audience="all_staff",
                                subject=f"Briefing {n}", body="What we know.")
        for message in incident.messages.all():
            comms.message_submit(actor=cast.alice, message_id=message.pk)
        items = now_for(cast.cora)
        assert len([i for i in items if i.kind == "approval"]) == 2  # the two longest waiting
        (more,) = [i for i in items if i.kind == "more"]
        assert more.title == "And up to 3 more messages to approve or release"
        assert more.url == "/approvals/" and "See them all on the approvals board" in more.why
        assert more.label == "More" and more.incident is None and items[-1] is more

    def test_a_list_within_its_limit_says_nothing_more(self, cast, incident, monkeypatch):
        from incidents import now as now_lists

        monkeypatch.setattr(now_lists, "NOW_MOST", 2)
        for n in range(2):
            comms.message_draft(actor=cast.alice, incident_id=incident.pk, audience="all_staff",
                                subject=f"Briefing {n}", body="What we know.")
        for message in incident.messages.all():
            comms.message_submit(actor=cast.alice, message_id=message.pk)
        assert [i.kind for i in now_for(cast.cora)].count("more") == 0

    def test_the_api_and_page_show_the_line_too(self, cast, incident, monkeypatch, client, api):
        from incidents import now as now_lists

        monkeypatch.setattr(now_lists, "NOW_MOST", 1)
        now = timezone.now()
        for n in range(3):
            services.decision_record(actor=cast.alice, incident_id=incident.pk, decision=f"Decision {n}",
                                     rationale="r", review_at=now + dt.timedelta(hours=1 + n))
        body = api(cast.alice).get("/api/me/now/").json()
        assert body["items"][-1]["kind"] == "more"  # after the review it follows, though that is due later
        # (The incident's own deadlines may be cut short too, with their own line.)
        (more,) = [i for i in body["items"] if i["kind"] == "more" and "decisions" in i["title"]]
        assert more["title"] == "And 2 more decisions due for review" and more["label"] == "More"
        client.force_login(cast.alice)
        assert "And 2 more decisions due for review" in client.get("/").content.decode()


class TestQuietEvents:
    """Events that cannot change what waits on anyone do not make every Now page read its list again."""

    def sent(self, monkeypatch) -> list:
        from core import realtime

        calls: list = []
        monkeypatch.setattr(realtime, "send_now", lambda group, message, *also: calls.append((message, *also)))
        return calls

    def asks_now(self, calls) -> bool:
        """Whether any broadcast (a message, and the (group, message) pairs sent with it) asked Now pages."""
        return any(message["type"] == "now.maybe"
                   for first, *also in calls for message in [first, *(m for _, m in also)])

    def test_a_decision_with_nothing_to_review_and_a_draft_are_quiet(self, cast, incident, monkeypatch,
                                                                   django_capture_on_commit_callbacks):
        calls = self.sent(monkeypatch)
        with django_capture_on_commit_callbacks(execute=True):
            services.decision_record(actor=cast.alice, incident_id=incident.pk, decision="d", rationale="r")
            comms.message_draft(actor=cast.alice, incident_id=incident.pk, audience="all_staff", subject="s", body="b")
        assert calls and not self.asks_now(calls)

    @pytest.mark.parametrize("extra", ["review_at", "corrects", "reviews"])
    def test_a_decision_that_sets_or_settles_a_review_asks(self, cast, incident, monkeypatch, extra,
                                                          django_capture_on_commit_callbacks):
        first = services.decision_record(actor=cast.alice, incident_id=incident.pk, decision="d", rationale="r",
                                         review_at=timezone.now() + dt.timedelta(hours=1))
        value = timezone.now() + dt.timedelta(hours=2) if extra == "review_at" else first.pk
        calls = self.sent(monkeypatch)
        with django_capture_on_commit_callbacks(execute=True):
            services.decision_record(actor=cast.alice, incident_id=incident.pk, decision="d2", rationale="r",
                                     **{extra: value})
        assert self.asks_now(calls)

    def test_a_submitted_message_asks(self, cast, incident, monkeypatch, django_capture_on_commit_callbacks):
        message = comms.message_draft(actor=cast.alice, incident_id=incident.pk, audience="all_staff", subject="s",
                                      body="b")
        calls = self.sent(monkeypatch)
        with django_capture_on_commit_callbacks(execute=True):
            comms.message_submit(actor=cast.alice, message_id=message.pk)
        assert self.asks_now(calls)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_change_reads_again_only_the_part_it_may_have_changed(cast, settings, monkeypatch):
    """An approval changes communications' part of a list: the socket reads that part again and keeps the
    others, and the list it compares is still the whole list. A change of membership reads every part."""
    from core import wings

    settings.HARBOUR_NOW_SETTLE_MS = 50
    reads: dict[str, int] = {}
    for key, source in list(wings._NOW_SOURCES.items()):
        def counted(person, at, key=key, source=source):
            reads[key] = reads.get(key, 0) + 1
            return source(person, at)
        monkeypatch.setitem(wings._NOW_SOURCES, key, counted)

    incident = await database_sync_to_async(open_incident)(cast)  # its deadlines are on Tom's list
    tom = await now_socket(cast.tom, seen="not-this-list")  # answered once its first read is done
    assert await tom.receive_json_from(timeout=5) == {"type": "now.changed"}
    assert reads == {"incidents": 1, "clocks": 1, "comms": 1, "support": 1}

    await database_sync_to_async(press_statement)(cast, incident)
    assert await tom.receive_json_from(timeout=5) == {"type": "now.changed"}
    assert reads["comms"] >= 2 and reads["incidents"] == reads["clocks"] == 1 and reads["support"] == 1
    # The list it told of is the whole list: its deadlines kept, the statement added.
    kinds = [item.kind for item in await database_sync_to_async(now_for)(cast.tom)]
    assert "obligation" in kinds and "approval" in kinds

    before = dict(reads)
    await database_sync_to_async(member_add)(actor=cast.alice, incident_id=incident.pk, user=cast.charlie,
                                                     role="member", reason="Needs to know")
    assert await tom.receive_nothing(timeout=0.5)  # his list is as it was: nothing to tell
    assert all(reads[key] > before[key] for key in before)  # every part (once, or more if the nudges came apart)
    await tom.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_reading_a_briefing_leaves_the_readers_other_live_pages_working(cast, settings):
    """The reader's Now page is nudged; their workspace, sharing their person group, hears nothing of it and
    stays live (a Now nudge there once closed it: no handler for it)."""
    from tests.test_sockets import connect, next_event

    settings.HARBOUR_NOW_SETTLE_MS = 50
    incident = await database_sync_to_async(open_incident)(cast)

    def brief_bob():
        briefing = comms.message_draft(actor=cast.alice, incident_id=incident.pk, audience="people",
                                       recipients=["bob"], subject="For Bob", body="Plain facts.")
        comms.message_submit(actor=cast.alice, message_id=briefing.pk)
        comms.message_approve(actor=cast.cora, message_id=briefing.pk, version=1)
        comms_releases.message_release(actor=cast.cora, message_id=briefing.pk)
        return briefing

    briefing = await database_sync_to_async(brief_bob)()
    headers = await database_sync_to_async(session_headers)(cast.bob)
    workspace, connected, _ = await connect(incident.pk, headers)
    assert connected
    now = await now_socket(cast.bob)
    await database_sync_to_async(comms_releases.message_acknowledge)(actor=cast.bob, message_id=briefing.pk)
    assert await now.receive_json_from(timeout=5) == {"type": "now.changed"}
    await database_sync_to_async(services.decision_record)(actor=cast.alice, incident_id=incident.pk,
                                                           decision="Still live", rationale="r")
    # A briefing to one: its count as shown stays "not shown", so nothing of the acknowledgement reaches
    # the workspace, and the next thing it hears is the decision.
    while (event := await next_event(workspace)).get("type") != "timeline.event":
        assert event.get("type") != "message.updated", event
    assert "Still live" in event["event"]["summary"]
    await workspace.disconnect()
    await now.disconnect()
