"""Need to know: the permission matrix of each policy, the queryset restriction agreeing with the object
check, and the doors (page, API, socket) agreeing with each other because they share one policy."""

from __future__ import annotations

import datetime as dt

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404
from django.test import Client
from django.utils import timezone

from clocks.policy import Action as ClocksAction
from comms import media as comms_media
from comms import releases as comms_releases
from comms import services as comms_services
from comms.models import Message
from comms.policy import APPROVERS, incident_comms, messages
from comms.policy import Action as CommsAction
from config.asgi import application
from core.actors import AdminSite
from core.grants import ADMIN_SITE, Transition, member, org
from core.policy import Policy
from incidents import selectors
from incidents.membership import member_remove
from incidents.models import Incident
from incidents.policy import Action, incidents
from tests.factories import open_incident

pytestmark = pytest.mark.django_db

LEAD = {Action.VIEW, Action.EDIT, Action.CHANGE_STATUS, Action.MANAGE_MEMBERS, Action.HAND_OVER_LEAD,
        Action.RECORD_DECISION, ClocksAction.RECORD_NOTIFICATION}
COMMAND = LEAD - {Action.HAND_OVER_LEAD}
READ = {Action.VIEW}
CONTRIBUTE = {Action.VIEW, Action.RECORD_DECISION}

# who: (on an unrestricted incident, on a restricted one)
MATRIX = {
    "alice": (LEAD, LEAD),  # lead
    "tom": (COMMAND, COMMAND),  # tactical lead
    "cora": (CONTRIBUTE, CONTRIBUTE),  # comms lead
    "bob": (CONTRIBUTE, CONTRIBUTE),  # member
    "olive": (READ, READ),  # observer
    "sam": (READ, set()),  # senior leader outside: reads unrestricted only
    "charlie": (set(), set()),  # outsider
}


@pytest.mark.parametrize("who", MATRIX)
def test_permission_matrix(cast, incident, restricted, who):
    user = getattr(cast, who)
    for subject, expected in zip((incident, restricted), MATRIX[who], strict=True):
        fresh = Incident.objects.get(pk=subject.pk)
        assert set(incidents.allowed_actions(user, fresh)) == expected
        # the queryset restriction and the object check always agree, action by action
        for action in incidents.rules:
            if action in incidents.unbound:
                continue
            in_queryset = incidents.restrict(user, action).filter(pk=subject.pk).exists()
            assert in_queryset == incidents.qualifies(user, incidents.rules[action], fresh), (who, action)


def test_getter_answers_404_before_403(cast, incident, restricted):
    with pytest.raises(PermissionDenied):
        selectors.incident_for(cast.olive, incident.pk, Action.RECORD_DECISION)
    with pytest.raises(Http404):
        selectors.incident_for(cast.charlie, incident.pk, Action.RECORD_DECISION)
    with pytest.raises(Http404):
        selectors.incident_for(cast.sam, restricted.pk)
    with pytest.raises(Http404):
        selectors.incident_for(cast.alice, "not-a-number")


def test_a_hidden_incident_is_not_found_exactly_as_an_absent_one(cast, restricted):
    with pytest.raises(Http404) as hidden:
        selectors.incident_for(cast.sam, restricted.pk)
    with pytest.raises(Http404) as absent:
        selectors.incident_for(cast.sam, restricted.pk + 1000)
    assert str(hidden.value) == str(absent.value)


def test_inactive_people_see_nothing(cast, incident):
    cast.bob.is_active = False
    cast.bob.save()
    assert not selectors.visible_incidents(cast.bob).exists()
    with pytest.raises(Http404):
        selectors.incident_for(cast.bob, incident.pk)


def test_a_removed_member_loses_sight(cast, incident):

    member_remove(actor=cast.alice, incident_id=incident.pk, username="bob", reason="r")
    assert not selectors.visible_incidents(cast.bob).exists()


def test_the_admin_site_is_a_named_actor_with_its_own_rules(cast, incident, restricted):
    admin = cast.charlie
    admin.is_staff = True
    admin.save()
    # Through the admin site: every incident; as himself in the console: none.
    assert set(incidents.restrict(AdminSite(admin), Action.VIEW).values_list("pk", flat=True)) == {
        incident.pk, restricted.pk}
    assert incidents.allows(AdminSite(admin), Action.EDIT, restricted)
    assert not incidents.allows(AdminSite(admin), Action.RECORD_DECISION, restricted)
    assert not selectors.visible_incidents(admin).exists()
    # Someone who is not staff does not become an admin actor by being wrapped as one.
    assert not incidents.allows(AdminSite(cast.bob), Action.EDIT, incident)


# Who approves messages, written out by hand (not asked of the policy): the lead, the tactical lead and
# the comms lead of both incidents; nobody else.
APPROVES = {"alice": 2, "tom": 2, "cora": 2, "bob": 0, "olive": 0, "sam": 0, "charlie": 0}


@pytest.mark.parametrize("who", APPROVES)
def test_the_approvals_board_and_the_policy_agree_on_who_approves(cast, incident, restricted, who):
    from comms.selectors import board_incidents

    user = getattr(cast, who)
    on_board = set(board_incidents(user).values_list("pk", flat=True))
    approves = {i.pk for i in Incident.objects.all() if incident_comms.qualifies(user, APPROVERS, i)}
    assert on_board == approves
    assert len(on_board) == APPROVES[who]


def _every_policy():
    from comms import policy as comms_policy
    from support import policy as support_policy

    return [incidents, comms_policy.incident_comms, comms_policy.messages, comms_policy.enquiries,
            comms_policy.inbox, support_policy.requests, support_policy.register]


def test_every_policy_filters_lists_as_it_checks_one_object(cast, incident, restricted):
    """For every policy, action and person: the queryset restriction holds exactly the objects the object
    check allows (who may; the state is the transition table's business)."""
    from django.contrib.auth.models import Group

    from support.models import SupportRequest
    from support.services import register_add

    for subject in (incident, restricted):
        message = comms_services.message_draft(actor=cast.alice, incident_id=subject.pk, audience="people",
                                               recipients=["bob", "charlie"], subject="S", body="B")
        comms_services.message_submit(actor=cast.alice, message_id=message.pk)
        comms_services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
        comms_releases.message_release(actor=cast.cora, message_id=message.pk)
        comms_releases.message_acknowledge(actor=cast.bob, message_id=message.pk, wants_support=True)
        comms_media.media_enquiry_log(actor=cast.cora, incident_id=subject.pk, outlet="Paper", journalist="J",
                                         contact="c", received_at=timezone.now(), question="Q?")
        # Olive on its register, supported by Charlie (outside both): who may know why she is on it
        register_add(actor=cast.alice, incident_id=subject.pk, user="olive", exposure="witnessed", reason="r",
                     supporter="charlie")
    # Sam: a wellbeing lead (and senior leader) in neither incident
    cast.sam.groups.add(Group.objects.get_or_create(name="wellbeing_lead")[0])
    assert SupportRequest.objects.count() == 2
    for policy in _every_policy():
        objects = list(policy.model._default_manager.all())
        assert objects, policy.model
        for who in MATRIX:
            user = type(cast.alice).objects.get(username=who)  # fresh: no cached answers
            for action, rule in policy.rules.items():
                listed = set(policy.restrict(user, action).values_list("pk", flat=True))
                allowed = {o.pk for o in objects if policy.qualifies(user, rule, o)}
                assert listed == allowed, (policy.model.__name__, action, who)


def test_rules_combine_and_name_only_real_fields():
    from core.grants import ANY_MEMBER, Rule, person
    from incidents.models import MemberRole

    both = (member(MemberRole.LEAD) | member(MemberRole.COMMS_LEAD)) & (ANY_MEMBER | org("senior_leader"))
    assert isinstance(both, Rule) and len(both.grants) == 4
    with pytest.raises(ImproperlyConfigured):  # a rule's person must be a foreign key, so lists can filter
        Policy(Message, visibility=Action.VIEW, not_found="x",
               rules={Action.VIEW: person("current_authors")}, refusals={})


def test_the_worker_is_not_shown_not_found(cast, incident):
    from comms.policy import Action as C

    message = comms_services.message_draft(actor=cast.alice, incident_id=incident.pk, audience="all_staff",
                                           subject="S", body="B")
    with pytest.raises(Exception) as refused:  # a draft is not scheduled: the state refuses, not visibility
        messages.check(None, C.RELEASE_AT_EMBARGO, message)
    assert not isinstance(refused.value, Http404)


def test_message_actions_follow_the_workflow_table(cast, incident):
    message = comms_services.message_draft(actor=cast.cora, incident_id=incident.pk, audience="all_staff",
                                           subject="S", body="B")
    draft = set(messages.allowed_actions(cast.alice, message))
    assert {CommsAction.EDIT, CommsAction.SUBMIT, CommsAction.WITHDRAW} <= draft
    assert not draft & {CommsAction.APPROVE, CommsAction.RELEASE, CommsAction.REQUEST_CHANGES}
    comms_services.message_submit(actor=cast.cora, message_id=message.pk)
    message.refresh_from_db()
    # the author may not approve their own text; the lead may
    assert CommsAction.APPROVE not in messages.allowed_actions(cast.cora, message)
    assert CommsAction.APPROVE in messages.allowed_actions(cast.alice, message)
    assert messages.allowed_actions(cast.olive, Message.objects.get(pk=message.pk)) == {CommsAction.VIEW}
    assert messages.allowed_actions(cast.charlie, Message.objects.get(pk=message.pk)) == frozenset()


# --- every door asks the same policy ------------------------------------------------------------------

def _page(user, method, url, data=None) -> int:
    client = Client()
    client.force_login(user)
    return (client.post(url, data) if method == "post" else client.get(url)).status_code


def _api(user, method, url, data=None) -> int:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return getattr(client, method)(url, data, format="json").status_code


def _socket_accepts(user, incident_id: int) -> bool:
    client = Client()
    client.force_login(user)
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"),
               (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]

    async def attempt() -> bool:
        communicator = WebsocketCommunicator(application, f"/ws/incidents/{incident_id}/", headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        if connected:
            await communicator.disconnect()
        return connected

    return async_to_sync(attempt)()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["alice", "tom", "cora", "bob", "olive", "sam", "charlie"])
def test_page_api_and_socket_agree_with_the_policy(who):
    from tests.factories import Cast

    cast = Cast()
    incident, restricted = open_incident(cast), open_incident(cast, restricted=True, title="Restricted matter")
    user = getattr(cast, who)
    for subject in (incident, restricted):
        fresh = Incident.objects.get(pk=subject.pk)
        sees = incidents.allows(user, Action.VIEW, fresh)
        expected = 200 if sees else 404
        assert _page(user, "get", f"/incidents/{subject.pk}/") == expected
        assert _api(user, "get", f"/api/incidents/{subject.pk}/") == expected
        assert _socket_accepts(user, subject.pk) is sees

        # Recording a decision: done (302 / 201), refused (403) or not found (404), alike at every door.
        records = incidents.allows(user, Action.RECORD_DECISION, fresh)
        decision = {"decision": f"Decision by {who}", "rationale": "Because"}
        assert _page(user, "post", f"/incidents/{subject.pk}/decisions/new/", decision) == (
            302 if records else 403 if sees else 404)
        assert _api(user, "post", f"/api/incidents/{subject.pk}/decisions/", decision) == (
            201 if records else 403 if sees else 404)

        # Drafting a message: the communications policy, at the page and the API alike.
        drafts = incident_comms.allows(user, CommsAction.DRAFT, fresh)
        draft = {"audience": "all_staff", "subject": "Update", "body": "Plain words."}
        assert _page(user, "post", f"/incidents/{subject.pk}/comms/new/", draft) == (
            302 if drafts else 403 if sees else 404)
        assert _api(user, "post", f"/api/incidents/{subject.pk}/messages/", draft) == (
            201 if drafts else 403 if sees else 404)


# --- a policy fails at import, not at run time --------------------------------------------------------

def test_a_typo_in_a_rule_fails_when_the_policy_is_made():
    from enum import StrEnum

    class Act(StrEnum):
        VIEW = "view"
        GO = "go"

    with pytest.raises(ImproperlyConfigured):
        member("leed")
    with pytest.raises(ImproperlyConfigured):
        org("senior_leeder")
    with pytest.raises(ImproperlyConfigured):  # an action with no sentence for its refusal
        Policy(Incident, incident=None, visibility=Act.VIEW, not_found="x", rules={Act.VIEW: member("lead"),
                                                                                  Act.GO: member("lead")},
               refusals={})
    with pytest.raises(ImproperlyConfigured):  # a state the model does not have
        Policy(Incident, incident=None, visibility=Act.VIEW, not_found="x",
               rules={Act.VIEW: member("lead"), Act.GO: member("lead")}, refusals={Act.GO: "No."},
               transitions={Act.GO: Transition(["opne"], "closed", code="c", refusal="r")})
    with pytest.raises(ImproperlyConfigured):  # a path that does not lead to an incident
        Policy(Message, incident="author", visibility=Act.VIEW, not_found="x", rules={Act.VIEW: member("lead")},
               refusals={})


def test_what_a_membership_is_is_declared_once_and_must_name_real_fields():
    """The engine (core/) knows incidents only as the spine declared them (incidents/models.py): roles a
    rule may name are the membership's role choices, and a second, different declaration is a mistake."""
    from core.actors import declare_membership, declare_org_roles, membership, org_roles
    from incidents.models import MemberRole, Membership
    from people.models import OrgRole

    assert set(membership().roles) == set(MemberRole.values) and org_roles() == set(OrgRole.values)
    assert membership().incident_model is Incident
    with pytest.raises(ImproperlyConfigured):  # not what the spine declared
        declare_membership(Membership, person="added_by", incident="incident", role="role",
                           active={"removed_at__isnull": True}, restricted="restricted")
    with pytest.raises(ImproperlyConfigured):  # a field the membership does not have
        declare_membership(Membership, person="user", incident="incident", role="rank",
                           active={"removed_at__isnull": True}, restricted="restricted")
    with pytest.raises(ImproperlyConfigured):
        declare_org_roles(["senior_leader"])
    declare_org_roles(OrgRole.values)  # the same again is no mistake
    assert membership().person == "user"


def test_person_paths_and_where_conditions_are_checked_when_a_policy_is_written():
    from enum import StrEnum

    from core.grants import person, where
    from people.models import Team
    from support.models import Debrief, FollowUp

    class Act(StrEnum):
        VIEW = "view"

    def policy(model, who):
        return Policy(model, incident=None, visibility=Act.VIEW, not_found="x", rules={Act.VIEW: who}, refusals={})

    policy(Debrief, person("invitees__person"))  # through the other side of a foreign key, to a person
    policy(FollowUp, person("affected__person__line_manager"))  # through foreign keys
    policy(FollowUp, ADMIN_SITE & where(affected__isnull=False))
    for model, path in ((Team, "members"), (Debrief, "invitees"), (FollowUp, "affected__reason"),
                        (FollowUp, "person__nothing")):
        with pytest.raises(ImproperlyConfigured):  # ends on a relation's other side, not a person, or nowhere
            policy(model, person(path))
    with pytest.raises(ImproperlyConfigured):
        policy(FollowUp, ADMIN_SITE & where(nosuchfield__isnull=True))
    with pytest.raises(ImproperlyConfigured):
        where(affected__person__isnull=True)  # a field of the object itself, only


def test_late_decisions_use_the_configured_minutes_everywhere(cast, incident, settings, client):
    settings.HARBOUR_LATE_ENTRY_MINUTES = 30
    from core.errors import InvalidInput
    from incidents import services

    services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r",
                             decided_at=timezone.now() - dt.timedelta(minutes=25))
    with pytest.raises(InvalidInput) as error:
        services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r",
                                 decided_at=timezone.now() - dt.timedelta(minutes=35))
    assert "30 minutes" in error.value.errors["late_entry_reason"][0]
    client.force_login(cast.bob)
    assert "more than 30 minutes ago" in client.get(f"/incidents/{incident.pk}/").content.decode()
