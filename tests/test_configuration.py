"""Configuration comes only from the environment and fails loudly; production settings pass
Django's deploy check; the demo organisation loads, and loads again without duplicating anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from config.settings import env_bool, env_int, env_list
from incidents.models import Incident, Membership, Team, TimelineEvent, User

ROOT = Path(__file__).resolve().parent.parent


def django(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**base, **env}, timeout=120)


class TestEnvironmentHelpers:
    def test_booleans(self, monkeypatch):
        for value, expected in (("1", True), ("yes", True), ("off", False), ("", False)):
            monkeypatch.setenv("X_FLAG", value)
            assert env_bool("X_FLAG", default=not expected) is expected
        monkeypatch.setenv("X_FLAG", "maybe")
        with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
            env_bool("X_FLAG", default=False)

    def test_numbers_and_lists(self, monkeypatch):
        monkeypatch.setenv("X_NUM", "twelve")
        with pytest.raises(ImproperlyConfigured, match="X_NUM"):
            env_int("X_NUM", 1)
        monkeypatch.setenv("X_LIST", "a.example, b.example,")
        assert env_list("X_LIST", []) == ["a.example", "b.example"]


class TestProductionSettings:
    def test_refuses_to_start_without_a_secret_key(self):
        result = django("check", DEBUG="0", ALLOWED_HOSTS="harbour.example")
        assert result.returncode != 0
        assert "SECRET_KEY must be set when DEBUG is off" in result.stderr

    def test_deploy_check_is_clean(self):
        result = django(
            "check", "--deploy", "--fail-level", "WARNING",
            DEBUG="0", SECRET_KEY="a-long-random-production-secret-" + "x" * 40,
            ALLOWED_HOSTS="harbour.example", CSRF_TRUSTED_ORIGINS="https://harbour.example",
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "no issues" in result.stdout

    def test_postgresql_connections_are_pooled_and_sized(self):
        """Under ASGI a connection is closed after every request: a pool per process keeps them open."""
        code = ("from django.conf import settings as s; d = s.DATABASES['default']; "
                "print(d['OPTIONS'].get('pool'), d['CONN_MAX_AGE'])")
        url = "postgres://postgres@127.0.0.1:5432/unused"
        result = django("shell", "-c", code, DATABASE_URL=url)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == "{'min_size': 2, 'max_size': 10, 'timeout': 10} 0"
        result = django("shell", "-c", code, DATABASE_URL=url, HARBOUR_DB_POOL_MAX_SIZE="4",
                        HARBOUR_DB_POOL_MIN_SIZE="1")
        assert result.stdout.strip().splitlines()[-1] == "{'min_size': 1, 'max_size': 4, 'timeout': 10} 0"
        result = django("shell", "-c", code, DATABASE_URL=url, HARBOUR_DB_POOL_MAX_SIZE="0",
                        DATABASE_CONN_MAX_AGE="60")
        assert result.stdout.strip().splitlines()[-1] == "None 60"
        result = django("check", DATABASE_URL=url, DATABASE_CONN_MAX_AGE="60")
        assert result.returncode != 0 and "cannot be used with the connection pool" in result.stderr

    def test_bad_values_stop_start_up(self):
        result = django("check", DEBUG="perhaps")
        assert result.returncode != 0 and "DEBUG must be one of" in result.stderr


@pytest.mark.django_db
class TestDemoOrganisation:
    def test_seed_is_complete_and_idempotent(self, capsys):
        call_command("seed_demo")
        output = capsys.readouterr().out
        assert "dhughes" in output and "password for all" in output
        counts = (User.objects.count(), Team.objects.count(), Incident.objects.count(), TimelineEvent.objects.count())
        assert counts[0] >= 40 and counts[1] == 5 and counts[2] == 2
        call_command("seed_demo", quiet_logins=True)
        assert (User.objects.count(), Team.objects.count(), Incident.objects.count(),
                TimelineEvent.objects.count()) == counts

        death = Incident.objects.get(kind="child_death")
        violence = Incident.objects.get(kind="community_violence")
        assert death.restricted and death.status == "open"
        assert not violence.restricted and violence.status == "stabilising"
        for incident in (death, violence):
            roles = set(Membership.objects.active().filter(incident=incident).values_list("role", flat=True))
            assert {"lead", "tactical_lead", "comms_lead", "wellbeing_lead", "member", "observer"} <= roles
            assert incident.decisions.count() >= 2
        for role in ("senior_leader", "comms_officer", "manager", "wellbeing_lead"):
            assert User.objects.filter(groups__name=role).exists()
        assert User.objects.exclude(line_manager=None).count() >= 35
        assert User.objects.get(username="dhughes").check_password("harbour-demo")

    def test_seed_brings_staff_support_alive(self):
        from support import selectors
        from support.models import AffectedPerson, Debrief, FollowUp

        call_command("seed_demo", quiet_logins=True)
        counts = (AffectedPerson.objects.count(), FollowUp.objects.count(), Debrief.objects.count())
        assert counts[0] >= 8 and counts[2] == 2
        call_command("seed_demo", quiet_logins=True)
        assert (AffectedPerson.objects.count(), FollowUp.objects.count(), Debrief.objects.count()) == counts
        columns = selectors.board(User.objects.get(username="rcollins"))
        assert columns["overdue"] and columns["done"] and (columns["today"] or columns["week"])
        manager = selectors.board(User.objects.get(username="aobrien"), mine=True)
        assert manager["overdue"] and manager["done"]
        assert FollowUp.objects.filter(kind="support_request").exists()


@pytest.mark.django_db
@pytest.mark.django_db
def test_pages_allow_scripts_only_from_harbour(client):
    from tests.factories import make_user

    policy = client.get("/login/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy and "script-src 'self' 'unsafe-inline'" not in policy
    # the offline API docs page is the one exception (Swagger UI starts with an inline script)
    client.force_login(make_user("alice", "Alice Adams"))
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and "Content-Security-Policy" not in docs


@pytest.mark.django_db
def test_repeated_failed_sign_ins_pause_signing_in(client):
    from tests.factories import PASSWORD, make_user

    make_user("alice", "Alice Adams")
    for _ in range(4):
        assert client.post("/login/", {"username": "alice", "password": "wrong"}).status_code == 200
    assert client.post("/login/", {"username": "alice", "password": "wrong"}).status_code == 429  # the fifth
    locked = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429 and "Please wait before trying again" in locked.content.decode()
    token = client.post("/api/auth/token/", {"username": "alice", "password": PASSWORD}, content_type="application/json")
    assert token.status_code == 429
    # another person is not affected
    make_user("bob", "Bob Brown")
    assert client.post("/login/", {"username": "bob", "password": PASSWORD}).status_code == 302
