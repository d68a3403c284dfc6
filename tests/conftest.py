"""Fixtures: the cast (tests/factories.py), incidents and API clients."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from incidents.models import Incident, User
from tests.factories import Cast, make_user, open_incident, seed_playbooks

# `make test` runs the suite in several processes (pytest-xdist), each with its own test database. On one
# Redis their groups must be apart too, or one process's "user.7" or "approvals.2" is another's: a socket
# in one would hear the other's events. (The servers the tests start already take a prefix of their own.)
if os.environ.get("PYTEST_XDIST_WORKER") and "prefix" in settings.CHANNEL_LAYERS["default"].get("CONFIG", {}):
    settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] += f"-test-{os.environ['PYTEST_XDIST_WORKER']}"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s a user; the cast has seven. Login behaviour is the same.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cast(db) -> Cast:
    seed_playbooks()  # a transactional test's flush removes what the data migration made
    return Cast()




@pytest.fixture
def incident(cast) -> Incident:
    """An unrestricted incident: visible read-only to Sam, invisible to Charlie."""
    return open_incident(cast)


@pytest.fixture
def restricted(cast) -> Incident:
    """A restricted incident: invisible to Sam and Charlie alike."""
    return open_incident(cast, restricted=True, title="Restricted matter")


@pytest.fixture
def api():
    def client_for(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def browser_client(client):
    def login(user: User):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def people(cast):
    """For staff support (issue 9): Ruth the wellbeing lead; Mike, Bob's line manager (not in the
    incident); Pat, a peer supporter."""
    class People:
        ruth = make_user("ruth", "Ruth Wellbeing", "wellbeing_lead")
        mike = make_user("mike", "Mike Manager", "manager")
        pat = make_user("pat", "Pat Peer")
    cast.bob.line_manager = People.mike
    cast.bob.save()
    return People
