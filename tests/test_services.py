"""The incident services: what changes, what is refused, and what is left behind (history, timeline,
the broadcast after commit)."""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from core.errors import Conflict, InvalidInput
from incidents import selectors, services
from incidents.membership import member_add, member_change_role, member_remove
from incidents.models import Decision, Incident, Membership, TimelineEvent
from tests.factories import open_incident

pytestmark = pytest.mark.django_db


def _types(incident):
    return list(TimelineEvent.objects.filter(incident=incident).order_by("id").values_list("type", flat=True))


class TestOpeningAnIncident:
    def test_opener_becomes_lead_and_gets_a_yearly_reference(self, cast):
        incident = open_incident(cast, members=False)
        year = timezone.localdate().year
        assert re.fullmatch(rf"INC-{year}-\d{{4}}", incident.reference)
        lead = Membership.objects.get(incident=incident)
        assert (lead.user, lead.role, lead.added_by) == (cast.alice, "lead", cast.alice)
        assert _types(incident) == ["incident.opened"]

    def test_references_are_sequential(self, cast):
        first = open_incident(cast, members=False)
        second = open_incident(cast, members=False)
        n1, n2 = int(first.reference[-4:]), int(second.reference[-4:])
        assert n2 == n1 + 1

    def test_only_senior_leaders_open_incidents(self, cast):
        with pytest.raises(PermissionDenied):
            services.incident_open(
                actor=cast.bob, title="x", kind="other", severity="major", occurred_at=timezone.now(),
                aware_at=timezone.now(), summary="s",
            )
        assert Incident.objects.count() == 0

    def test_awareness_cannot_be_in_the_future_or_before_the_event(self, cast):
        now = timezone.now()
        with pytest.raises(InvalidInput) as future:
            services.incident_open(actor=cast.alice, title="t", kind="other", severity="major",
                                   occurred_at=now - dt.timedelta(hours=1), aware_at=now + dt.timedelta(hours=1),
                                   summary="s")
        assert "future" in future.value.errors["aware_at"][0]
        with pytest.raises(InvalidInput) as before:
            services.incident_open(actor=cast.alice, title="t", kind="other", severity="major",
                                   occurred_at=now - dt.timedelta(hours=1), aware_at=now - dt.timedelta(hours=2),
                                   summary="s")
        assert "before the incident happened" in before.value.errors["aware_at"][0]
        assert Incident.objects.count() == 0 and TimelineEvent.objects.count() == 0

    def test_every_bad_field_is_reported_at_once(self, cast):
        with pytest.raises(InvalidInput) as error:
            services.incident_open(actor=cast.alice, title=" ", kind="flood", severity="huge",
                                   occurred_at="yesterday", aware_at=None, summary="")
        assert set(error.value.errors) == {"title", "kind", "severity", "occurred_at", "aware_at", "summary"}

    def test_history_is_attributed_to_the_actor(self, cast, incident):
        record = incident.history.earliest()
        assert record.history_user == cast.alice and record.history_type == "+"


class TestStatus:
    def test_open_stabilising_closed_and_reopen(self, cast, incident):
        for status in ("stabilising", "closed", "open"):
            incident = services.incident_transition(actor=cast.tom, incident_id=incident.pk, status=status,
                                                    reason=f"to {status}")
            assert incident.status == status
        events = TimelineEvent.objects.filter(incident=incident, type="incident.status_changed").order_by("id")
        assert [e.data["to"] for e in events] == ["stabilising", "closed", "open"]
        assert "reopened" in events.last().summary

    @pytest.mark.parametrize("status", ["closed", "open"])
    def test_other_moves_are_refused_with_a_clear_message(self, cast, incident, status):
        with pytest.raises(Conflict) as refused:
            services.incident_transition(actor=cast.alice, incident_id=incident.pk, status=status, reason="why")
        assert "can only move to stabilising" in refused.value.detail
        incident.refresh_from_db()
        assert incident.status == "open"

    def test_a_reason_is_required(self, cast, incident):
        with pytest.raises(InvalidInput) as error:
            services.incident_transition(actor=cast.alice, incident_id=incident.pk, status="stabilising", reason=" ")
        assert "reason" in error.value.errors

    @pytest.mark.parametrize("who", ["bob", "olive", "cora", "sam"])
    def test_only_lead_or_tactical_lead_changes_status(self, cast, incident, who):
        with pytest.raises(PermissionDenied):
            services.incident_transition(actor=getattr(cast, who), incident_id=incident.pk, status="stabilising",
                                         reason="r")

    def test_outsiders_get_not_found(self, cast, incident):
        with pytest.raises(Http404):
            services.incident_transition(actor=cast.charlie, incident_id=incident.pk, status="stabilising",
                                         reason="r")

    def test_the_reason_is_in_the_history(self, cast, incident):
        services.incident_transition(actor=cast.alice, incident_id=incident.pk, status="stabilising",
                                     reason="Calmer now")
        assert incident.history.latest().history_change_reason == "Calmer now"


class TestUpdating:
    def test_changes_are_described_on_the_timeline_and_in_history(self, cast, incident):
        services.incident_update(actor=cast.tom, incident_id=incident.pk, changes={"severity": "major", "title": "New"})
        event = TimelineEvent.objects.filter(incident=incident, type="incident.updated").get()
        assert "Critical → Major" in event.summary and event.data["fields"] == ["title", "severity"]
        latest = incident.history.latest()
        assert latest.history_user == cast.tom and latest.severity == "major"

    def test_no_change_writes_nothing(self, cast, incident):
        before = TimelineEvent.objects.count()
        services.incident_update(actor=cast.alice, incident_id=incident.pk, changes={"title": incident.title})
        assert TimelineEvent.objects.count() == before

    def test_unknown_fields_are_refused(self, cast, incident):
        with pytest.raises(InvalidInput) as error:
            services.incident_update(actor=cast.alice, incident_id=incident.pk, changes={"reference": "INC-1"})
        assert "reference" in error.value.errors

    def test_members_cannot_edit(self, cast, incident):
        with pytest.raises(PermissionDenied):
            services.incident_update(actor=cast.bob, incident_id=incident.pk, changes={"title": "x"})


class TestMembership:
    def test_add_records_who_and_why(self, cast, incident):
        membership = Membership.objects.get(incident=incident, user=cast.bob)
        assert (membership.added_by, membership.reason, membership.role) == (cast.alice, "Needs to know", "member")
        assert TimelineEvent.objects.filter(incident=incident, type="member.added", data__user="bob").exists()

    def test_adding_twice_is_a_conflict(self, cast, incident):
        with pytest.raises(Conflict) as conflict:
            member_add(actor=cast.alice, incident_id=incident.pk, user="bob", role="member", reason="again")
        assert conflict.value.code == "already_member"

    def test_unknown_person_and_role(self, cast, incident):
        with pytest.raises(InvalidInput) as error:
            member_add(actor=cast.alice, incident_id=incident.pk, user="nobody", role="boss", reason="")
        assert set(error.value.errors) == {"user", "role", "reason"}

    def test_remove_keeps_the_record(self, cast, incident):
        member_remove(actor=cast.tom, incident_id=incident.pk, username="bob", reason="No longer involved")
        membership = Membership.objects.get(incident=incident, user=cast.bob)
        assert membership.removed_by == cast.tom and membership.removed_reason == "No longer involved"
        assert not selectors.visible_incidents(cast.bob).filter(pk=incident.pk).exists()
        # and they can be added again, as a new membership
        member_add(actor=cast.alice, incident_id=incident.pk, user="bob", role="observer", reason="Back")
        assert Membership.objects.filter(incident=incident, user=cast.bob).count() == 2

    def test_the_last_lead_cannot_be_removed_or_demoted(self, cast, incident):
        with pytest.raises(Conflict) as conflict:
            member_remove(actor=cast.alice, incident_id=incident.pk, username="alice", reason="r")
        assert conflict.value.code == "last_lead"
        with pytest.raises(Conflict):
            member_change_role(actor=cast.alice, incident_id=incident.pk, username="alice", role="member",
                                        reason="r")
        member_add(actor=cast.alice, incident_id=incident.pk, user=cast.sam, role="lead",
                            reason="Gold hands over")
        member_remove(actor=cast.sam, incident_id=incident.pk, username="alice", reason="Handed over")
        assert not Membership.objects.active().filter(incident=incident, user=cast.alice).exists()

    def test_only_the_lead_hands_out_or_takes_away_the_lead(self, cast, incident):
        for attempt in (
            lambda: member_change_role(actor=cast.tom, incident_id=incident.pk, username="tom", role="lead",
                                                reason="r"),
            lambda: member_remove(actor=cast.tom, incident_id=incident.pk, username="alice", reason="r"),
        ):
            with pytest.raises(PermissionDenied):
                attempt()
        with pytest.raises(InvalidInput) as error:
            member_change_role(actor=cast.alice, incident_id=incident.pk, username="bob", role="lead",
                                        reason="r")
        assert "senior leader" in error.value.errors["role"][0]

    def test_removing_someone_not_in_the_incident_is_not_found(self, cast, incident):
        with pytest.raises(Http404):
            member_remove(actor=cast.alice, incident_id=incident.pk, username="charlie", reason="r")

    def test_members_cannot_manage_members(self, cast, incident):
        with pytest.raises(PermissionDenied):
            member_add(actor=cast.bob, incident_id=incident.pk, user="charlie", role="member", reason="r")


class TestDecisionLog:
    def test_record_with_defaults(self, cast, incident):
        entry = services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="Notify the Panel",
                                         rationale="Duty applies")
        assert entry.number == 1 and entry.decided_by == cast.bob and entry.recorded_by == cast.bob
        assert abs((entry.recorded_at - entry.decided_at).total_seconds()) < 1
        event = TimelineEvent.objects.get(incident=incident, type="decision.recorded")
        assert "Decision 1" in event.summary and "Notify the Panel" in event.summary

    def test_late_entries_need_a_reason(self, cast, incident):
        earlier = timezone.now() - dt.timedelta(minutes=40)
        with pytest.raises(InvalidInput) as error:
            services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r",
                                     decided_at=earlier)
        assert "15 minutes" in error.value.errors["late_entry_reason"][0]
        entry = services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r",
                                         decided_at=earlier, late_entry_reason="Was at the scene")
        assert entry.decided_at == earlier

    def test_fourteen_minutes_is_not_late(self, cast, incident):
        decided_at = timezone.now() - dt.timedelta(minutes=14)
        entry = services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r",
                                         decided_at=decided_at)
        assert entry.decided_at == decided_at and entry.late_entry_reason == ""
        assert Decision.objects.filter(incident=incident, number=entry.number).exists()

    def test_decisions_cannot_be_in_the_future(self, cast, incident):
        with pytest.raises(InvalidInput) as error:
            services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r",
                                     decided_at=timezone.now() + dt.timedelta(hours=1))
        assert "decided_at" in error.value.errors

    def test_decided_by_must_be_a_member(self, cast, incident):
        entry = services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r",
                                         decided_by="alice")
        assert entry.decided_by == cast.alice
        with pytest.raises(InvalidInput) as error:
            services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r",
                                     decided_by="charlie")
        assert "not a member" in error.value.errors["decided_by"][0]

    def test_a_correction_names_an_entry_of_the_same_incident(self, cast, incident):
        first = services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="Wrong", rationale="r")
        fix = services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="Right", rationale="r",
                                       corrects=first.pk)
        assert fix.corrects == first and fix.number == 2
        assert "corrects decision 1" in TimelineEvent.objects.filter(type="decision.recorded").order_by("id").last().summary
        other = open_incident(cast, title="Other", members=False)
        stranger = services.decision_record(actor=cast.alice, incident_id=other.pk, decision="x", rationale="y")
        with pytest.raises(InvalidInput):
            services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r",
                                     corrects=stranger.pk)

    def test_observers_and_senior_leaders_outside_cannot_record(self, cast, incident):
        for who in (cast.olive, cast.sam):
            with pytest.raises(PermissionDenied):
                services.decision_record(actor=who, incident_id=incident.pk, decision="d", rationale="r")
        assert Decision.objects.count() == 0

    def test_review_time_must_follow_the_decision(self, cast, incident):
        with pytest.raises(InvalidInput) as error:
            services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r",
                                     review_at=timezone.now() - dt.timedelta(minutes=1))
        assert "review_at" in error.value.errors


class TestBroadcasts:
    def test_sent_only_after_commit(self, cast, incident, django_capture_on_commit_callbacks):
        with mock.patch("core.realtime.send_now") as send:
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r",
                                         review_at=timezone.now() + dt.timedelta(hours=1))
                assert send.call_count == 0
            for callback in callbacks:
                callback()
        group, message, also = send.call_args.args
        assert group == f"incident.{incident.pk}"
        # The Now pages, in the same hop: a review to come may put it on someone's list, in this wing's part.
        assert also == ("now", {"type": "now.maybe", "incident": incident.pk, "parts": ["incidents"]})
        assert message["type"] == "timeline.event" and message["event"]["type"] == "decision.recorded"

    def test_a_refused_change_broadcasts_nothing(self, cast, incident, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Conflict):
            services.incident_transition(actor=cast.alice, incident_id=incident.pk, status="closed", reason="r")
        assert callbacks == []

    def test_a_dead_channel_layer_does_not_fail_the_action(self, cast, incident, django_capture_on_commit_callbacks):
        broken = mock.Mock()
        broken.group_send = mock.AsyncMock(side_effect=ConnectionError("redis is down"))
        with mock.patch("core.realtime.get_channel_layer", return_value=broken), \
                django_capture_on_commit_callbacks(execute=True):
            entry = services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r")
        assert broken.group_send.await_count == 1
        assert Decision.objects.filter(pk=entry.pk).exists()

    def test_removal_tells_sockets_to_recheck_access_before_the_story(self, cast, incident,
                                                                      django_capture_on_commit_callbacks):
        with mock.patch("core.realtime.send_now") as send, django_capture_on_commit_callbacks(execute=True):
            member_remove(actor=cast.alice, incident_id=incident.pk, username="bob", reason="r")
        sent = [(call.args[0], call.args[1]["type"]) for call in send.call_args_list]
        # Every socket re-checks access (the incident's, and the removed person's own, such as their
        # approvals board) before the story of the removal is told.
        assert sent == [(f"incident.{incident.pk}", "access.changed"), (f"user.{cast.bob.pk}", "access.changed"),
                        (f"incident.{incident.pk}", "timeline.event")]
