"""Staff support (issue 9): the exposure register, plans, follow-ups, choice, and who sees what.

The tiers (support/policy.py): outcomes and notes only to the person, their supporter and the wellbeing
leads; a line manager who is not the supporter sees status and due time; the incident's lead and tactical
lead see the register and counts; other members counts only; outsiders "not found".
"""

from __future__ import annotations

import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.errors import InvalidInput, PermissionDenied
from incidents.membership import member_add
from incidents.models import TimelineEvent
from support import selectors, services
from support.models import NOTICE_KINDS, AffectedPerson, FollowUp, FollowUpStatus, SupportRequest
from tests.factories import ask_for_support
from tests.test_pages import streamed

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def add_bob(client, incident, **extra):
    body = {"user": "bob", "exposure": "informed_family", "reason": "Told the child's mother", **extra}
    return client.post(f"/api/incidents/{incident.pk}/affected-staff/", body, format="json")


class TestRegister:
    @pytest.mark.across_the_week
    def test_adding_creates_the_plan_for_the_line_manager(self, api, cast, incident, people):
        before = timezone.now()
        response = add_bob(api(cast.alice), incident)
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["person"]["username"] == "bob" and body["supporter"]["username"] == "mike"
        assert body["supporter_kind"] == "line_manager" and body["exposure"] == "informed_family"
        labels = [(f["label"], f["assignee"]["username"], f["status"]) for f in body["follow_ups"]]
        assert labels == [("72-hour check-in", "mike", "scheduled"), ("One-month check-in", "mike", "scheduled"),
                          ("Three-month check-in", "mike", "scheduled")]
        first = dt.datetime.fromisoformat(body["follow_ups"][0]["due_at"])
        # from now (adding came after awareness), 72 hours on
        assert before + dt.timedelta(hours=72) <= first <= timezone.now() + dt.timedelta(hours=72)
        entry = AffectedPerson.objects.get()
        assert entry.history.latest().history_user == cast.alice
        # Its own history says who added him; the timeline, every member's, says nothing (small counts).
        assert not TimelineEvent.objects.filter(incident=incident, type__startswith="support.").exists()

    def test_bad_input_changes_nothing(self, api, cast, incident, people):
        url = f"/api/incidents/{incident.pk}/affected-staff/"
        for body, field in (({"user": "bob", "reason": "r"}, "exposure"),
                            ({"user": "bob", "exposure": "bystander", "reason": "r"}, "exposure"),
                            ({"user": "bob", "exposure": "witnessed", "reason": ""}, "reason"),
                            ({"user": "nobody", "exposure": "witnessed", "reason": "r"}, "user"),
                            ({"user": "bob", "exposure": "witnessed", "reason": "r", "supporter": "bob"}, "supporter")):
            response = api(cast.alice).post(url, body, format="json")
            assert response.status_code == 400 and field in response.json(), (body, response.json())
        assert not AffectedPerson.objects.exists() and not FollowUp.objects.exists()
        assert add_bob(api(cast.alice), incident).status_code == 201
        again = add_bob(api(cast.alice), incident)
        assert again.status_code == 400 and "already" in again.json()["user"][0]
        assert FollowUp.objects.count() == 3

    def test_who_may_add_and_read_the_register(self, api, cast, incident, people):
        url = f"/api/incidents/{incident.pk}/affected-staff/"
        for user in (cast.bob, cast.olive, cast.cora):
            assert add_bob(api(user), incident).status_code == 403
            assert api(user).get(url).status_code == 403
        assert add_bob(api(cast.charlie), incident).status_code == 404
        outsider = api(cast.charlie).get(url)
        absent = api(cast.charlie).get("/api/incidents/999999/affected-staff/")
        assert outsider.status_code == absent.status_code == 404 and outsider.content == absent.content
        # the tactical lead may add, and so may a wellbeing lead in the incident
        response = api(cast.tom).post(url, {"user": "olive", "exposure": "witnessed", "reason": "r"}, format="json")
        assert response.status_code == 201

        member_add(actor=cast.alice, incident_id=incident.pk, user=people.ruth,
                                     role="wellbeing_lead", reason="Staff support")
        response = api(people.ruth).post(url, {"user": "cora", "exposure": "media_handling", "reason": "r"},
                                         format="json")
        assert response.status_code == 201
        assert [e["person"]["username"] for e in api(people.ruth).get(url).json()["results"]] == ["olive", "cora"]

    def test_counts_for_members_never_whose(self, api, cast, incident, people):
        add_bob(api(cast.alice), incident)
        for user in (cast.alice, cast.tom, cast.bob, cast.olive, cast.cora):
            response = api(user).get(f"/api/incidents/{incident.pk}/support-counts/")
            assert response.status_code == 200
            # one person on the register: every count of it would be about Bob, so none is shown, not even a 0
            withheld = {"count": None, "suppressed": True, "words": "fewer than 5"}
            assert response.json() == {"people": withheld, "scheduled": withheld, "overdue": withheld,
                                       "completed": withheld, "declined": withheld, "cancelled": withheld,
                                       "small_count": 5}
        assert api(cast.charlie).get(f"/api/incidents/{incident.pk}/support-counts/").status_code == 404


class TestTiers:
    @pytest.fixture
    def follow_up(self, api, cast, incident, people):
        add_bob(api(cast.alice), incident)
        item = FollowUp.objects.order_by("due_at").first()
        services.follow_up_complete(actor=people.mike, follow_up_id=item.pk, outcome="support_offered",
                                    note="Talked about sleep")
        return item

    def test_private_tier(self, api, cast, people, follow_up):
        for user in (cast.bob, people.mike, people.ruth):
            body = api(user).get(f"/api/follow-ups/{follow_up.pk}/").json()
            assert body["tier"] == "private" and body["outcome"] == "support_offered"
            assert body["note"] == "Talked about sleep", user

    def test_line_manager_not_supporting_sees_status_only(self, api, cast, people, follow_up):
        entry = AffectedPerson.objects.get()
        response = api(cast.bob).patch(f"/api/affected-staff/{entry.pk}/", {"supporter": "pat"}, format="json")
        assert response.status_code == 200 and response.json()["supporter"]["username"] == "pat"
        assert response.json()["supporter_kind"] == "colleague"
        assert set(FollowUp.objects.filter(status="scheduled").values_list("assignee__username", flat=True)) == {"pat"}
        open_one = FollowUp.objects.filter(status="scheduled").first()
        body = api(people.mike).get(f"/api/follow-ups/{open_one.pk}/").json()
        assert body["tier"] == "status" and body["status"] == "scheduled" and body["assignee"]["username"] == "pat"
        assert "outcome" not in body and "note" not in body and "rearrange_requested_at" not in body
        # the completed one stays with the supporter who offered it, and so does its note
        assert FollowUp.objects.get(pk=follow_up.pk).assignee == people.mike
        assert api(people.mike).get(f"/api/follow-ups/{follow_up.pk}/").json()["tier"] == "private"
        team = api(people.mike).get("/api/follow-ups/?team=1").json()["results"]
        assert len(team) == 3 and {f["tier"] for f in team} == {"private", "status"}
        assert "Talked" not in str([f for f in team if f["tier"] == "status"])

    def test_the_lead_and_outsiders_do_not_see_a_follow_up(self, api, cast, people, follow_up):
        absent = api(cast.alice).get("/api/follow-ups/999999/")
        for user in (cast.alice, cast.tom, cast.olive, cast.charlie):
            response = api(user).get(f"/api/follow-ups/{follow_up.pk}/")
            assert response.status_code == 404 and response.content == absent.content, user
            assert api(user).get("/api/follow-ups/").json()["results"] == []

    def test_the_incident_is_not_named_to_those_who_cannot_see_it(self, api, cast, people, restricted):
        response = add_bob(api(cast.alice), restricted)
        # Bob's line manager is outside the restricted incident: a wellbeing lead supports him instead, and
        # his manager is not told of it by his follow-ups.
        assert response.json()["supporter"]["username"] == "ruth"
        item = FollowUp.objects.filter(incident=restricted).first()
        assert api(people.mike).get(f"/api/follow-ups/{item.pk}/").status_code == 404
        assert api(people.mike).get("/api/follow-ups/?team=true").json()["results"] == []
        body = api(people.ruth).get(f"/api/follow-ups/{item.pk}/").json()  # she sees every follow-up
        assert body["tier"] == "private" and body["incident"] is None
        assert restricted.reference not in str(body) and restricted.title not in str(body)
        assert api(people.ruth).get(f"/api/follow-ups/?incident={restricted.pk}").status_code == 404
        entry = api(people.ruth).get(f"/api/affected-staff/{item.affected_id}/").json()
        # She supports him, knowing how he was affected; why he is on the register, and who put him there,
        # would tell her of an incident she is not in (issue 18).
        assert entry["incident"] is None and entry["exposure"] == "informed_family"
        assert entry["reason"] is None and entry["added_by"] is None
        assert api(cast.bob).get(f"/api/follow-ups/{item.pk}/").json()["incident"]["reference"] == restricted.reference

    def test_nothing_of_it_on_the_timeline_or_its_export(self, client, cast, incident, follow_up):
        assert not TimelineEvent.objects.filter(incident=incident, type__startswith="support.").exists()
        assert follow_up.history.latest().status == "completed"
        client.force_login(cast.alice)
        export = b"".join(streamed(client.get(f"/incidents/{incident.pk}/timeline.csv"))).decode()
        assert "follow-up" not in export.lower() and "register" not in export
        assert "sleep" not in export and "support_offered" not in export and "Mike" not in export


@pytest.mark.across_the_week
class TestFollowUps:
    @pytest.fixture
    def entry(self, api, cast, incident, people):
        add_bob(api(cast.alice), incident)
        return AffectedPerson.objects.get()

    def first(self):
        return FollowUp.objects.order_by("due_at").first()

    def test_complete_needs_an_outcome_and_only_the_supporter(self, api, cast, people, entry):
        url = f"/api/follow-ups/{self.first().pk}/complete/"
        assert api(people.mike).post(url, {}, format="json").status_code == 400
        assert api(people.mike).post(url, {"outcome": "fine"}, format="json").status_code == 400
        assert api(cast.bob).post(url, {"outcome": "ok"}, format="json").status_code == 403
        assert api(cast.alice).post(url, {"outcome": "ok"}, format="json").status_code == 404
        assert self.first().status == "scheduled"
        response = api(people.mike).post(url, {"outcome": "referred_eap"}, format="json")
        assert response.status_code == 200 and response.json()["status"] == "completed"
        again = api(people.mike).post(url, {"outcome": "ok"}, format="json")
        assert again.status_code == 409

    def test_declining_is_a_choice_never_overdue(self, api, cast, people, entry):
        item = self.first()
        FollowUp.objects.filter(pk=item.pk).update(due_at=timezone.now() - dt.timedelta(days=2))
        response = api(cast.bob).post(f"/api/follow-ups/{item.pk}/decline/", format="json")
        assert response.status_code == 200
        assert response.json()["status"] == "declined" and response.json()["is_overdue"] is False
        assert selectors.exact_counts(entry.incident)["overdue"] == 0

    def test_decline_all_without_a_reason(self, api, cast, people, entry):
        assert api(people.mike).post(f"/api/affected-staff/{entry.pk}/decline-all/").status_code == 403
        response = api(cast.bob).post(f"/api/affected-staff/{entry.pk}/decline-all/")
        assert response.status_code == 200 and response.json()["declined_all_at"]
        assert set(FollowUp.objects.values_list("status", flat=True)) == {"declined"}

    def test_reschedule_and_reassign_need_a_reason(self, api, cast, people, entry):
        item = self.first()
        url = f"/api/follow-ups/{item.pk}/"
        later = (timezone.now() + dt.timedelta(days=5)).isoformat()
        assert api(people.mike).patch(url, {"due_at": later}, format="json").status_code == 400
        assert api(people.mike).patch(url, {"due_at": later, "reason": ""}, format="json").status_code == 400
        past = (timezone.now() - dt.timedelta(days=1)).isoformat()
        assert api(people.mike).patch(url, {"due_at": past, "reason": "r"}, format="json").status_code == 400
        response = api(people.mike).patch(url, {"due_at": later, "reason": "Bob is on leave"}, format="json")
        assert response.status_code == 200
        assert FollowUp.objects.get(pk=item.pk).history.latest().history_change_reason == "Bob is on leave"
        response = api(people.mike).patch(url, {"assignee": "ruth", "reason": "Handing over"}, format="json")
        assert response.status_code == 200 and response.json()["assignee"]["username"] == "ruth"
        assert api(cast.bob).patch(url, {"assignee": "pat", "reason": "r"}, format="json").status_code == 403

    def test_asking_to_rearrange_tells_the_supporter(self, api, cast, people, entry):
        item = self.first()
        response = api(cast.bob).post(f"/api/follow-ups/{item.pk}/rearrange/")
        assert response.status_code == 200 and response.json()["rearrange_requested_at"]
        assert people.mike.notices.get(kind__in=NOTICE_KINDS).text.startswith("Bob Brown asked to rearrange")

    def test_a_trigger_date_check_in(self, api, cast, people, entry):
        when = (timezone.now() + dt.timedelta(days=60)).isoformat()
        url = f"/api/affected-staff/{entry.pk}/check-ins/"
        assert api(cast.bob).post(url, {"label": "Before the inquest", "due_at": when}, format="json").status_code == 403
        assert api(people.mike).post(url, {"label": "", "due_at": when}, format="json").status_code == 400
        response = api(people.mike).post(url, {"label": "Before the inquest", "due_at": when}, format="json")
        assert response.status_code == 201 and response.json()["kind"] == "trigger"

    def test_the_boards_are_told_after_commit(self, cast, people, entry, django_capture_on_commit_callbacks):
        with mock.patch("core.realtime.send_now") as send, django_capture_on_commit_callbacks(execute=True):
            services.follow_up_decline(actor=cast.bob, follow_up_id=self.first().pk)
        assert send.call_args.args == (services.FOLLOW_UPS_GROUP, {"type": "follow_up.changed",
                                                                   "id": self.first().pk},
                                       ("now", {"type": "now.maybe", "incident": None}))

    def test_my_support_shows_everything_and_who_sees_it(self, api, cast, people, entry):
        body = api(cast.bob).get("/api/me/support/").json()
        assert len(body["register"]) == 1 and len(body["follow_ups"]) == 3
        assert "line manager" in body["who_sees"]["follow_ups"] and "not told" in body["who_sees"]["requests"]
        assert api(people.mike).get("/api/me/support/").json()["register"] == []


class TestSupportRequests:
    def test_a_request_goes_to_a_wellbeing_lead_and_nobody_else(self, api, cast, incident, people):
        ask_for_support(cast, incident)
        request = SupportRequest.objects.get()
        item = request.follow_up
        assert item.kind == "support_request" and item.assignee == people.ruth and item.affected is None
        assert not AffectedPerson.objects.exists()
        for user in (cast.bob, people.ruth):
            assert api(user).get(f"/api/follow-ups/{item.pk}/").json()["tier"] == "private"
        for user in (people.mike, cast.alice, cast.tom):
            assert api(user).get(f"/api/follow-ups/{item.pk}/").status_code == 404
            assert api(user).get("/api/follow-ups/?team=true").json()["results"] == []
        assert selectors.exact_counts(incident)["scheduled"] == 0
        services.follow_up_complete(actor=people.ruth, follow_up_id=item.pk, outcome="ok")
        assert not TimelineEvent.objects.filter(incident=incident, type__startswith="support.").exists()
        reassign = api(people.ruth).patch(f"/api/follow-ups/{item.pk}/", {"assignee": "mike", "reason": "r"},
                                          format="json")
        assert reassign.status_code == 409  # completed; and it would stay with a wellbeing lead


class TestExposure:
    def test_people_on_two_registers_in_a_year(self, api, cast, incident, people):
        from tests.factories import open_incident

        other = open_incident(cast, title="Assault on a worker", kind="staff_assault")
        add_bob(api(cast.alice), incident)
        add_bob(api(cast.alice), other)
        response = api(people.ruth).get("/api/wellbeing/exposure/")
        assert response.status_code == 200
        assert response.json()["results"] == [{"person": {"username": "bob", "full_name": "Bob Brown"}, "team": None,
                                               "incidents": 2}]
        for user in (cast.alice, people.mike, cast.bob):
            assert api(user).get("/api/wellbeing/exposure/").status_code == 403
        with pytest.raises(PermissionDenied):
            selectors.cumulative_exposure(cast.alice)


@pytest.mark.across_the_week
class TestPlanDates:
    def at(self, *args) -> dt.datetime:
        return dt.datetime(*args, tzinfo=LONDON)

    def test_days_and_months_keep_the_wall_clock_across_the_clock_changes(self):
        assert services.step_due(self.at(2026, 3, 20, 10, 0), 28, "days") == self.at(2026, 4, 17, 10, 0)
        assert services.step_due(self.at(2026, 10, 10, 10, 0), 28, "days") == self.at(2026, 11, 7, 10, 0)
        assert services.step_due(self.at(2026, 10, 10, 10, 0), 28, "days").astimezone(dt.UTC).hour == 10
        assert services.step_due(self.at(2026, 1, 31, 9, 0), 3, "months") == self.at(2026, 4, 30, 9, 0)
        assert services.step_due(self.at(2026, 11, 30, 9, 0), 3, "months") == self.at(2027, 2, 28, 9, 0)

    def test_hours_are_elapsed_time(self):
        # Friday 27 March 2026 12:00 GMT + 72 hours: Monday 30 March 13:00 BST (the clocks went forward)
        assert services.step_due(self.at(2026, 3, 27, 12, 0), 72, "hours") == self.at(2026, 3, 30, 13, 0)


def test_inputs_are_checked_before_anything_is_written(cast, incident, people):
    with pytest.raises(InvalidInput) as error:
        services.register_add(actor=cast.alice, incident_id=incident.pk, user="bob", exposure="witnessed",
                              reason="r", supporter_kind="guru")
    assert "supporter_kind" in error.value.errors and not FollowUp.objects.exists()
    assert FollowUpStatus.SCHEDULED == "scheduled"


def test_the_follow_ups_list_and_board_cost_the_same_for_three_or_thirty(api, client, cast, incident, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_user

    def cost(user) -> tuple[int, int]:
        counts = []
        for reader, url in ((api(user), "/api/follow-ups/"), (client, "/support/board/")):
            client.force_login(user)
            reader.get(url)
            with CaptureQueriesContext(connection) as captured:
                assert reader.get(url).status_code == 200
            counts.append(len(captured))
        return tuple(counts)

    services.register_add(actor=cast.alice, incident_id=incident.pk, user="bob", exposure="witnessed", reason="r")
    small = {user.username: cost(user) for user in (people.mike, people.ruth)}
    for n in range(9):
        person = make_user(f"staff{n}", f"Staff {n}")
        person.line_manager = people.mike
        person.save()
        services.register_add(actor=cast.alice, incident_id=incident.pk, user=person.username, exposure="witnessed",
                              reason="r")
    assert FollowUp.objects.count() == 30
    assert {user.username: cost(user) for user in (people.mike, people.ruth)} == small


class TestWhoMustNotLearn:
    def test_the_incidents_command_is_never_made_a_supporter_by_others(self, api, cast, incident, people):
        response = add_bob(api(cast.alice), incident, supporter="tom")  # the tactical lead
        assert response.status_code == 400 and "leads this incident" in response.json()["supporter"][0]
        cast.bob.line_manager = cast.tom
        cast.bob.save()
        response = add_bob(api(cast.alice), incident)
        assert response.json()["supporter"]["username"] == "ruth"  # not his manager, who commands the incident
        entry = AffectedPerson.objects.get()
        item = FollowUp.objects.filter(status="scheduled").first()
        reassign = api(people.ruth).patch(f"/api/follow-ups/{item.pk}/", {"assignee": "alice", "reason": "r"},
                                          format="json")
        assert reassign.status_code == 400 and "leads this incident" in reassign.json()["assignee"][0]
        # the person may choose them themself
        chosen = api(cast.bob).patch(f"/api/affected-staff/{entry.pk}/", {"supporter": "tom"}, format="json")
        assert chosen.status_code == 200 and chosen.json()["supporter"]["username"] == "tom"

    def test_command_sees_the_register_not_how_each_persons_support_stands(self, api, client, cast, incident, people):
        add_bob(api(cast.alice), incident)
        entry = AffectedPerson.objects.get()
        api(cast.bob).post(f"/api/affected-staff/{entry.pk}/decline-all/")
        body = api(cast.alice).get(f"/api/affected-staff/{entry.pk}/").json()
        assert body["declined_all_at"] is None and "see_private" not in body["allowed_actions"]
        assert api(people.ruth).get(f"/api/affected-staff/{entry.pk}/").json()["declined_all_at"]
        client.force_login(cast.alice)
        page = client.get(f"/incidents/{incident.pk}/support/").content.decode()
        assert "Check-ins open" not in page and "declined" not in page.lower().split("exposure register")[1]
        assert "said no" not in client.get(f"/support/register/{entry.pk}/").content.decode()

    @pytest.mark.across_the_week
    def test_declining_all_is_respected_by_later_check_ins(self, api, cast, incident, people):
        add_bob(api(cast.alice), incident)
        entry = AffectedPerson.objects.get()
        api(cast.bob).post(f"/api/affected-staff/{entry.pk}/decline-all/")
        when = (timezone.now() + dt.timedelta(days=30)).isoformat()
        response = api(people.mike).post(f"/api/affected-staff/{entry.pk}/check-ins/",
                                         {"label": "Before the inquest", "due_at": when}, format="json")
        assert response.status_code == 409 and not FollowUp.objects.filter(kind="trigger").exists()

    def test_a_request_for_support_never_goes_to_their_manager_or_command(self, api, cast, incident, people):
        from django.contrib.auth.models import Group

        people.mike.groups.add(Group.objects.get(name="wellbeing_lead"))  # the manager is a wellbeing lead too
        cast.tom.groups.add(Group.objects.get(name="wellbeing_lead"))  # and so is the tactical lead
        request = SupportRequest.objects.create(person=cast.bob, incident=incident, source="briefing")
        item = services.request_follow_up(request, cast.bob)
        assert item.assignee == people.ruth
        response = api(people.ruth).patch(f"/api/follow-ups/{item.pk}/", {"assignee": "mike", "reason": "r"},
                                          format="json")
        assert response.status_code == 400
        services.follow_up_complete(actor=people.ruth, follow_up_id=item.pk, outcome="ok")
        request.refresh_from_db()
        assert request.status == "closed"  # the request stands where its follow-up does


def test_the_follow_ups_list_takes_its_filters_at_their_word(api, cast, people):
    for query in ("status=", "status=open", "status=scheduled&status=declined", "mine=", "mine=yes", "team=null",
                  "incident=", "incident=abc"):
        response = api(people.mike).get(f"/api/follow-ups/?{query}")
        assert response.status_code == 400, (query, response.status_code)
    assert api(people.mike).get("/api/follow-ups/?status=scheduled&mine=false&team=0").status_code == 200


def test_a_supporter_outside_a_restricted_incident_is_not_told_of_it(api, cast, restricted, people):
    response = add_bob(api(cast.alice), restricted, supporter="pat")
    entry = api(people.pat).get(f"/api/affected-staff/{response.json()['id']}/").json()
    assert entry["incident"] is None and entry["reason"] is None and entry["added_by"] is None
    assert api(cast.alice).get(f"/api/affected-staff/{entry['id']}/").json()["reason"] == "Told the child's mother"


def test_the_upgrade_takes_the_counting_events_off_every_timeline_and_leaves_the_rest(cast, incident):
    """Events written before support stopped writing them (support/migrations/0008) go; the rest stay."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("support.migrations.0008_no_register_events_on_the_timeline")
    for event_type, summary in (("support.register_added", "Alice Adams added a person to the staff support register."),
                                ("support.follow_up_completed", "A follow-up was completed."),
                                ("support.debrief_scheduled", "A hot debrief was arranged.")):
        TimelineEvent.objects.create(incident=incident, at=timezone.now(), type=event_type, summary=summary)
    kept = list(TimelineEvent.objects.exclude(type__in=migration.COUNTING_EVENTS).values_list("pk", flat=True))
    migration.remove_counting_events(apps, None)
    migration.remove_counting_events(apps, None)  # and again, harmlessly
    assert list(TimelineEvent.objects.values_list("pk", flat=True)) == kept
    assert TimelineEvent.objects.filter(type="support.debrief_scheduled").exists()
