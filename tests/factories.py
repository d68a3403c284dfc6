"""The cast and helpers, shared by every test.

Alice is a senior leader who leads the incident; Tom is its tactical lead; Bob a member; Olive an observer;
Cora the communications lead; Sam a senior leader outside it; Charlie a member of staff outside it.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import Group
from django.utils import timezone

from incidents import services
from incidents.membership import member_add
from incidents.models import Incident
from people.models import User

PASSWORD = "correct-horse-battery"


def make_user(username: str, full_name: str, *roles: str, team=None) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, full_name=full_name, email=f"{username}@example.org", team=team
    )
    if roles:
        # get_or_create: transactional tests flush the groups the data migration made
        user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
    return user


class Cast:
    def __init__(self):
        self.alice = make_user("alice", "Alice Adams", "senior_leader")
        self.tom = make_user("tom", "Tom Tactical", "manager")
        self.bob = make_user("bob", "Bob Brown")
        self.olive = make_user("olive", "Olive Observer")
        self.cora = make_user("cora", "Cora Comms", "comms_officer")
        self.sam = make_user("sam", "Sam Senior", "senior_leader")
        self.charlie = make_user("charlie", "Charlie Outsider")




def open_incident(cast: Cast, *, restricted: bool = False, title: str = "Death of a child known to services",
                  kind: str = "child_death", members: bool = True) -> Incident:
    now = timezone.now()
    incident = services.incident_open(
        actor=cast.alice, title=title, kind=kind, severity="critical",
        occurred_at=now - dt.timedelta(hours=6), aware_at=now - dt.timedelta(hours=5),
        summary="A child known to the North team died overnight.", restricted=restricted,
    )
    if members:
        for user, role in ((cast.tom, "tactical_lead"), (cast.bob, "member"), (cast.olive, "observer"),
                           (cast.cora, "comms_lead")):
            member_add(actor=cast.alice, incident_id=incident.pk, user=user, role=role, reason="Needs to know")
    return incident


def ask_for_support(cast: Cast, incident: Incident):
    """Bob ticks "I would like to talk to someone" on a briefing released to him: a request for support."""
    from comms import releases as comms_releases
    from comms import services as comms_services

    message = comms_services.message_draft(actor=cast.alice, incident_id=incident.pk, audience="people",
                                           recipients=["bob"], subject="S", body="B")
    comms_services.message_submit(actor=cast.alice, message_id=message.pk)
    comms_services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
    comms_releases.message_release(actor=cast.cora, message_id=message.pk)
    return comms_releases.message_acknowledge(actor=cast.bob, message_id=message.pk, wants_support=True)


def seed_playbooks() -> None:
    """The playbooks the data migration made, again: a transactional test's flush removes them. The
    migration names the models where they were then (incidents); they are the clocks' now, same tables."""
    import importlib

    from django.apps import apps

    class Now:
        @staticmethod
        def get_model(app_label: str, model_name: str):
            return apps.get_model("clocks" if app_label == "incidents" else app_label, model_name)

    importlib.import_module("incidents.migrations.0005_playbooks").seed(Now, None)


def make_token(user: User, name: str = "A test program", days: int | None = None) -> str:
    """A new API token for the person, as they would make it: its key."""
    from incidents.tokens import api_token_make

    return api_token_make(actor=user, name=name, days=days)[1]
