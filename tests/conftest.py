"""Fixtures: the cast (tests/factories.py), incidents and API clients."""

from __future__ import annotations

import os

import pytest
import time_machine
from django.conf import settings
from rest_framework.test import APIClient

from incidents.models import Incident
from people.models import User
from tests.clock import AWKWARD, ORDINARY
from tests.factories import Cast, make_user, open_incident, seed_playbooks

# `make test` runs the suite in several processes (pytest-xdist), each with its own test database. On one
# Redis their groups must be apart too, or one process's "user.7" or "approvals.2" is another's: a socket
# in one would hear the other's events. (The servers the tests start already take a prefix of their own.)
# Two runs of the suite on one machine (two checkouts, say) must not share either, so both are named for
# the run as well as the process.
RUN = (os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"{os.getpid():x}")[:8]
PROCESS = os.environ.get("PYTEST_XDIST_WORKER", "main")
if "prefix" in settings.CHANNEL_LAYERS["default"].get("CONFIG", {}):
    settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] += f"-test-{RUN}-{PROCESS}"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The test database is named for the run and the process (`test_harbour_ci_gw0_1a2b3c4d`), so a second
    `make test` beside the first makes its own instead of dropping the first's."""
    for database in settings.DATABASES.values():
        if database["ENGINE"] != "django.db.backends.sqlite3":
            test = database.setdefault("TEST", {})
            test["NAME"] = f"{test.get('NAME') or 'test_' + database['NAME']}_{RUN}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's, and then: on PostgreSQL the test database is dropped when the session ends, which
    the server refuses while any connection is open to it, and a socket's consumer leaves one behind in the
    thread its queries ran in. Those are ended first, so no `test_harbour_ci_gw0_<run>` is left behind."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for alias in connections:
            connection = connections[alias]
            if connection.vendor != "postgresql":
                continue
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                               " WHERE datname = current_database() AND pid <> pg_backend_pid()")


# HARBOUR_TEST_INSTANT=sunday-evening (a name in tests/clock.py) runs the whole suite at that instant instead.
DEFAULT_INSTANT = {"ordinary": ORDINARY, **AWKWARD}[os.environ.get("HARBOUR_TEST_INSTANT", "ordinary")]


def pytest_generate_tests(metafunc):
    """A test marked across_the_week runs at the ordinary instant and at every awkward one.
    HARBOUR_TEST_INSTANTS=ordinary runs it at the ordinary instant only (`make test` runs the awkward
    instants once, in the embedded configuration)."""
    if "_clock" not in metafunc.fixturenames or not metafunc.definition.get_closest_marker("across_the_week"):
        return
    instants = {"ordinary": ORDINARY}
    if os.environ.get("HARBOUR_TEST_INSTANTS", "all") != "ordinary":
        instants.update(AWKWARD)
    metafunc.parametrize("_clock", list(instants.values()), ids=list(instants), indirect=True)


@pytest.fixture(autouse=True)
def _clock(request):
    """Every test runs at a fixed instant (tests/clock.py), its clock ticking from there, so that nothing
    depends on the day or hour the suite is run. Tests that start servers keep the real clock."""
    if request.node.get_closest_marker("real_clock") or request.node.get_closest_marker("browser"):
        yield None
        return
    with time_machine.travel(getattr(request, "param", DEFAULT_INSTANT), tick=True) as traveller:
        yield traveller


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
