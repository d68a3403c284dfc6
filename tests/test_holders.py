"""The policy answers "who": `Policy.holders(action, obj)`, the people who may take an action on an object,
agrees with the object check (`check`) for every policy, every action, every object of a scenario that
has one of each kind, and every persona: the leads, members and observers, a senior leader outside, an
outsider, a wellbeing lead, a line manager, someone deactivated. Reminders, notices, emails and live
events ask it, so nothing reaches anyone the check would refuse, and nobody it allows is left out."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from clocks import policy as clocks_policy
from comms import media as comms_media
from comms import policy as comms_policy
from comms import releases as comms_releases
from comms import services as comms_services
from comms.models import UNDELIVERED
from core.errors import Conflict
from core.notices import notify_once
from core.policy import Policy
from incidents import policy as incidents_policy
from people.models import User
from support import debriefing
from support import policy as support_policy
from support import services as support_services
from tests.factories import ask_for_support, make_token, make_user, open_incident

pytestmark = pytest.mark.django_db


def every_policy() -> dict[str, Policy]:
    found = {}
    for module in (incidents_policy, clocks_policy, comms_policy, support_policy):
        for name, value in vars(module).items():
            policy = value.notices if isinstance(value, comms_policy.MessageNotices) else value
            if isinstance(policy, Policy):
                found[f"{module.__name__}.{name}"] = policy
    return found


POLICIES = every_policy()


@pytest.fixture
def scenario(cast):
    """One of everything a policy governs, on an open incident and a restricted one."""
    wendy = make_user("wendy", "Wendy Wellbeing", "wellbeing_lead")
    User.objects.filter(pk=make_user("gone", "Gone Away", "senior_leader").pk).update(is_active=False)
    cast.bob.line_manager = cast.tom
    cast.bob.save()
    cast.olive.line_manager = wendy  # a wellbeing lead who manages someone who asks for support
    cast.olive.save()
    cast.alice.groups.add(Group.objects.get(name="wellbeing_lead"))  # a wellbeing lead who leads the incident
    incident = open_incident(cast)
    restricted = open_incident(cast, restricted=True, title="Restricted matter")
    ask_for_support(cast, incident)  # a released briefing, Bob's acknowledgement and his request for support
    draft = comms_services.message_draft(actor=cast.cora, incident_id=incident.pk, audience="people",
                                         recipients=["olive"], subject="Draft", body="Still being written")
    make_user("walt", "Walt Wellbeing", "wellbeing_lead")  # free to take Olive's request, as Wendy is not
    for_olive = comms_services.message_draft(actor=cast.alice, incident_id=incident.pk, audience="people",
                                             recipients=["olive"], subject="For Olive", body="B")
    comms_services.message_submit(actor=cast.alice, message_id=for_olive.pk)
    comms_services.message_approve(actor=cast.cora, message_id=for_olive.pk, version=1)
    comms_releases.message_release(actor=cast.cora, message_id=for_olive.pk)
    comms_releases.message_acknowledge(actor=cast.olive, message_id=for_olive.pk, wants_support=True)
    in_review = comms_services.message_draft(actor=cast.cora, incident_id=restricted.pk, audience="people",
                                             recipients=["bob"], subject="Review", body="For approval")
    comms_services.message_submit(actor=cast.cora, message_id=in_review.pk)
    comms_media.media_enquiry_log(actor=cast.cora, incident_id=incident.pk, outlet="Echo", journalist="J",
                                  contact="j@example.org", received_at=timezone.now() - dt.timedelta(hours=1),
                                  question="What happened?")
    for subject in (incident, restricted):
        support_services.register_add(actor=cast.alice, incident_id=subject.pk, user="bob", exposure="directly_involved",
                                      reason="Was there")
    debriefing.debrief_schedule(actor=cast.alice, incident_id=incident.pk, kind="hot",
                                starts_at=timezone.now() + dt.timedelta(days=1), duration_minutes=60,
                                location="Room 1", facilitator="wendy", invitees=["bob", "olive"])
    make_token(cast.bob)
    for person in (cast.olive, cast.bob):  # a briefing that could not be emailed to them
        notify_once(person, UNDELIVERED, about_id=draft.pk, text="Not delivered")
    assert draft.pk and wendy.pk
    return cast


def passes(policy: Policy, person: User, action, obj) -> bool:
    try:
        policy.check(person, action, obj)
    except (Http404, PermissionDenied, Conflict):
        return False
    return True


@pytest.mark.parametrize("name", POLICIES)
def test_holders_agree_with_the_object_check_for_every_action_object_and_persona(scenario, name):
    policy = POLICIES[name]
    objects = list(policy.model._default_manager.all())
    assert objects, f"the scenario has no {policy.model.__name__} for {name}"
    people = list(User.objects.order_by("username"))
    assert len(people) >= 9
    for obj in objects:
        for action in policy.rules:
            if action in policy.unbound:
                continue
            holders = set(policy.holders(action, obj).values_list("username", flat=True))
            allowed = {p.username for p in people if passes(policy, User.objects.get(pk=p.pk), action, obj)}
            assert holders == allowed, (name, action, obj, holders ^ allowed)


def test_holders_is_one_query_whatever_the_rule(scenario, django_assert_max_num_queries):
    incident = incidents_policy.incidents.model.objects.get(title="Restricted matter")
    with django_assert_max_num_queries(1):
        assert {p.username for p in incidents_policy.incidents.holders(incidents_policy.Action.VIEW, incident)} == {
            "alice", "tom", "bob", "cora", "olive"}


def test_nobody_holds_an_action_its_state_refuses_unless_asked_regardless(scenario):
    message = comms_policy.messages.model.objects.get(subject="Draft")
    approve = comms_policy.Action.APPROVE
    assert not comms_policy.messages.holders(approve, message).exists()  # a draft is not approved
    who = set(comms_policy.messages.holders(approve, message, state=False).values_list("username", flat=True))
    assert "cora" not in who  # her own draft: never hers to approve
    assert {"alice", "tom"} <= who


def test_an_action_on_nothing_needs_its_object():
    with pytest.raises(ValueError):
        incidents_policy.incidents.holders(incidents_policy.Action.VIEW)


def test_who_hears_of_an_overdue_check_in(scenario):
    """The wellbeing leads, never the person; of a request for support, never their line manager nor the
    incident's command, who must not learn that they asked."""
    from support.models import FollowUp
    from support.policy import FollowUpAction, follow_ups

    def told(**which):
        follow_up = FollowUp.objects.filter(**which).first()
        return set(follow_ups.holders(FollowUpAction.HEAR_OVERDUE, follow_up).values_list("username", flat=True))

    assert told(person__username="bob", affected__isnull=False) == {"alice", "walt", "wendy"}  # of the register
    assert told(person__username="bob", kind="support_request") == {"walt", "wendy"}  # Alice leads the incident
    # Wendy manages Olive and Alice leads the incident: of Olive's request, only Walt hears, and he takes it.
    assert told(person__username="olive", kind="support_request") == {"walt"}
    assert FollowUp.objects.get(person__username="olive", kind="support_request").assignee.username == "walt"
    # Being told is not something anyone does: a follow-up offers no such action.
    follow_up = FollowUp.objects.get(person__username="olive", kind="support_request")
    assert FollowUpAction.HEAR_OVERDUE not in follow_ups.allowed_actions(User.objects.get(username="walt"), follow_up)
