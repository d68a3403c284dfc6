"""Recording a decision's review. Decision-log entries are never edited, so a review is a new entry that
names the one it reviews and says whether it stands, and why. The reviewed entry then stops waiting: it
leaves Now and the summary's open actions, its reminder is not said, and the log shows where it was
reviewed. The page, the API and the service agree; a bad reference is a field error and writes nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from core.errors import InvalidInput
from incidents import services
from incidents.models import Decision, EventType, TimelineEvent
from incidents.now import now_for
from incidents.selectors import incident_open_actions
from incidents.tasks import decision_review_due
from tests.factories import open_incident

pytestmark = pytest.mark.django_db


def due_decision(cast, incident, *, review_in=dt.timedelta(hours=2)) -> Decision:
    now = timezone.now()
    return services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="Close the family hub",
                                    rationale="Safety", decided_at=now - dt.timedelta(minutes=5),
                                    review_at=now + review_in)


def review(cast, incident, entry, **extra) -> Decision:
    return services.decision_record(actor=cast.alice, incident_id=incident.pk, decision="The hub stays closed",
                                    rationale="The building is still unsafe", reviews=entry.pk, **extra)


def reviews_on_now(person) -> list[str]:
    return [item.title for item in now_for(person) if item.kind == "decision_review"]


@pytest.mark.across_the_week
class TestTheService:
    def test_a_review_takes_the_decision_off_everyones_list_and_says_so(self, cast, incident):
        entry = due_decision(cast, incident)
        assert reviews_on_now(cast.alice) == ["Review decision 1: Close the family hub"]
        reviewed = review(cast, incident, entry)
        assert reviewed.number == 2 and reviewed.reviews == entry
        for person in (cast.alice, cast.tom, cast.bob):
            assert reviews_on_now(person) == []
        event = TimelineEvent.objects.filter(incident=incident, type=EventType.DECISION_RECORDED).latest("id")
        assert event.summary.startswith("Decision 2 (reviews decision 1) recorded by Alice Adams")
        assert event.data["reviews"] == entry.pk
        assert reviewed.history.get().history_type == "+"
        assert list(Decision.objects.awaiting_review()) == []

    def test_a_review_with_its_own_review_time_waits_in_its_turn(self, cast, incident):
        entry = due_decision(cast, incident)
        review(cast, incident, entry, review_at=timezone.now() + dt.timedelta(hours=3))
        assert reviews_on_now(cast.alice) == ["Review decision 2: The hub stays closed"]

    def test_the_summarys_open_actions_count_only_what_still_waits(self, cast, incident):
        entry = due_decision(cast, incident)
        due_decision(cast, incident)
        counts = {a.what: a.count for a in incident_open_actions(cast.alice, incident)}
        assert counts["Decisions due for review"] == 2
        review(cast, incident, entry)
        counts = {a.what: a.count for a in incident_open_actions(cast.alice, incident)}
        assert counts["Decisions due for review"] == 1

    def test_a_reviewed_decisions_reminder_is_not_said(self, cast, incident):
        entry = due_decision(cast, incident, review_in=dt.timedelta(minutes=1))
        review(cast, incident, entry)
        Decision.objects.filter(pk=entry.pk).update(review_at=timezone.now() - dt.timedelta(minutes=1))
        assert decision_review_due.call(entry.pk) == "reviewed"
        assert services.sweep_due() == 0
        assert not TimelineEvent.objects.filter(type=EventType.DECISION_REVIEW_DUE).exists()

    @pytest.mark.parametrize("target", ["absent", "elsewhere", "corrected"])
    def test_a_review_of_what_cannot_be_reviewed_is_a_field_error_and_writes_nothing(self, cast, incident, target):
        entry = due_decision(cast, incident)
        other = open_incident(cast, title="Another")
        elsewhere = services.decision_record(actor=cast.alice, incident_id=other.pk, decision="d", rationale="r")
        if target == "corrected":
            services.decision_record(actor=cast.alice, incident_id=incident.pk, decision="Open it at noon",
                                     rationale="Checked", corrects=entry.pk)
        before = Decision.objects.count()
        pk = {"absent": 999_999, "elsewhere": elsewhere.pk, "corrected": entry.pk}[target]
        with pytest.raises(InvalidInput) as refused:
            services.decision_record(actor=cast.alice, incident_id=incident.pk, decision="Stands", rationale="r",
                                     reviews=pk)
        assert list(refused.value.errors) == ["reviews"]
        if target == "corrected":
            assert "review the entry that corrects it" in refused.value.errors["reviews"][0]
        assert Decision.objects.count() == before


class TestThePage:
    def log(self, client, user, incident, query=""):
        client.force_login(user)
        response = client.get(f"/incidents/{incident.pk}/{query}")
        assert response.status_code == 200
        return response.content.decode()

    def test_a_due_decision_offers_its_review_to_those_who_record_decisions(self, client, cast, incident):
        due_decision(cast, incident)
        link = 'href="?reviews=1#decisions"'
        assert link in self.log(client, cast.alice, incident)
        assert link not in self.log(client, cast.olive, incident)  # an observer records nothing

    def test_now_leads_to_the_form_with_the_decision_named(self, client, cast, incident):
        due_decision(cast, incident)
        (item,) = [i for i in now_for(cast.alice) if i.kind == "decision_review"]
        assert item.url == f"/incidents/{incident.pk}/?reviews=1#decisions"
        body = self.log(client, cast.alice, incident, "?reviews=1")
        assert "To record the review of decision 1" in body
        assert re.search(r'<input type="text" name="reviews" value="1"', body)

    def test_recording_the_review_by_number_marks_the_decision_reviewed(self, client, cast, incident):
        due_decision(cast, incident)
        client.force_login(cast.alice)
        response = client.post(f"/incidents/{incident.pk}/decisions/new/",
                               {"decision": "The hub stays closed", "rationale": "Still unsafe", "reviews": "1"})
        assert response.status_code == 302
        body = self.log(client, cast.alice, incident)
        assert "(reviews <a" in body and "Reviewed</strong>" in body
        assert 'reviewed in <a class="govuk-link" href="#decision-2">decision 2</a>' in body
        assert 'href="?reviews=1#decisions"' not in body

    def test_a_review_of_a_decision_that_is_not_there_is_a_field_error(self, client, cast, incident):
        client.force_login(cast.alice)
        response = client.post(f"/incidents/{incident.pk}/decisions/new/",
                               {"decision": "Stands", "rationale": "r", "reviews": "9"})
        assert response.status_code == 400
        assert "There is no decision 9 in this incident" in response.content.decode()
        assert not Decision.objects.exists()


class TestTheApi:
    def test_a_review_is_recorded_and_shown_in_the_log(self, api, cast, incident):
        entry = due_decision(cast, incident)
        api = api(cast.alice)
        url = f"/api/incidents/{incident.pk}/decisions/"
        created = api.post(url, {"decision": "Stands", "rationale": "Still unsafe", "reviews": entry.pk}, format="json")
        assert created.status_code == 201 and created.json()["reviews"] == entry.pk
        assert created.json()["reviewed"] is False
        shown = api.get(f"{url}{entry.pk}/").json()
        assert shown["reviewed"] is True and shown["reviews"] is None

    def test_a_bad_review_is_a_400_with_the_field(self, api, cast, incident):
        api = api(cast.alice)
        url = f"/api/incidents/{incident.pk}/decisions/"
        for bad in (999_999, "one"):
            response = api.post(url, {"decision": "Stands", "rationale": "r", "reviews": bad}, format="json")
            assert response.status_code == 400 and "reviews" in response.json(), response.json()
        assert not Decision.objects.exists()


class TestWhatAReviewIsNot:
    def test_a_review_struck_through_reviews_nothing(self, cast, client, incident):
        entry = due_decision(cast, incident)
        wrong = review(cast, incident, entry)
        services.decision_record(actor=cast.alice, incident_id=incident.pk, decision="Recorded against the wrong "
                                 "entry", rationale="It reviewed decision 1 by mistake", corrects=wrong.pk)
        assert list(Decision.objects.awaiting_review()) == [entry]
        assert reviews_on_now(cast.alice) == ["Review decision 1: Close the family hub"]
        client.force_login(cast.alice)
        body = client.get(f"/incidents/{incident.pk}/").content.decode()
        assert "Reviewed</strong>" not in body and 'href="?reviews=1#decisions"' in body

    def test_a_decider_who_may_not_record_decisions_is_not_asked_to_review(self, cast, incident):
        now = timezone.now()
        services.decision_record(actor=cast.alice, incident_id=incident.pk, decided_by="olive",
                                 decision="Observe the hub", rationale="r", decided_at=now - dt.timedelta(minutes=5),
                                 review_at=now + dt.timedelta(hours=1))
        assert reviews_on_now(cast.olive) == []  # an observer: the review is command's
        assert reviews_on_now(cast.alice) == ["Review decision 1: Observe the hub"]

    @pytest.mark.parametrize("odd", ["²", "1e3", "-1", "9" * 12, "", "one"])
    def test_an_odd_reviews_parameter_is_ignored(self, cast, client, incident, odd):
        client.force_login(cast.alice)
        response = client.get(f"/incidents/{incident.pk}/", {"reviews": odd})
        assert response.status_code == 200 and b"To record the review of decision" not in response.content
