"""Configuration comes only from the environment and fails loudly; production settings pass
Django's deploy check; the demo organisation loads, and loads again without duplicating anything."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from config.settings import env_bool, env_int, env_list, stored_secret_key
from incidents.models import Incident, Membership, TimelineEvent
from people.models import Team, User

ROOT = Path(__file__).resolve().parent.parent


# Settings these tests choose for themselves: none is inherited from whoever runs the suite.
CHOSEN = ("DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "HARBOUR_HTTPS", "HARBOUR_BASE_URL", "ALLOWED_HOSTS")
POSTGRES = "postgres://postgres@127.0.0.1:5432/unused"  # never connected to: settings and checks only
PRODUCTION_KEY = "a-long-random-production-secret-" + "x" * 40


def django(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in CHOSEN}
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


SHOW = ("from django.conf import settings as s; "
        "print(s.DEBUG, s.HARBOUR_HTTPS, s.SESSION_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.ALLOWED_HOSTS)")


def last_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip().splitlines()[-1]


class TestEmbeddedDefault:
    """`make run` with nothing configured: no debug pages, a key of its own, plain HTTP that signs in."""

    def test_debugging_is_off_and_plain_http_keeps_working(self, tmp_path):
        result = django("shell", "-c", SHOW, HARBOUR_VAR_DIR=str(tmp_path))
        assert last_line(result) == "False False False False ['127.0.0.1', 'localhost', '[::1]']"
        # a developer turns debugging on; the hosts Harbour answers to stay the same
        result = django("shell", "-c", SHOW, HARBOUR_VAR_DIR=str(tmp_path), DEBUG="1")
        assert last_line(result) == "True False False False ['127.0.0.1', 'localhost', '[::1]']"

    def test_the_secret_key_is_made_once_kept_private_and_reused(self, tmp_path):
        code = "from django.conf import settings; print(settings.SECRET_KEY)"
        first = last_line(django("shell", "-c", code, HARBOUR_VAR_DIR=str(tmp_path / "var")))
        stored = tmp_path / "var" / "secret_key"
        assert stored.read_text().strip() == first and len(first) >= 50
        assert stat.S_IMODE(stored.stat().st_mode) == 0o600
        assert last_line(django("shell", "-c", code, HARBOUR_VAR_DIR=str(tmp_path / "var"))) == first
        assert [p.name for p in stored.parent.iterdir()] == ["secret_key"]  # no drafts left behind
        # a key in the environment wins, and the file is left as it is
        assert last_line(django("shell", "-c", code, HARBOUR_VAR_DIR=str(tmp_path / "var"),
                                SECRET_KEY=PRODUCTION_KEY)) == PRODUCTION_KEY
        assert stored.read_text().strip() == first

    def test_processes_starting_at_once_agree_on_the_key(self, tmp_path):
        path = tmp_path / "secret_key"
        with ThreadPoolExecutor(max_workers=8) as pool:
            keys = set(pool.map(lambda _: stored_secret_key(path), range(32)))
        assert keys == {path.read_text().strip()}
        assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]

    def test_an_unusable_key_file_stops_start_up(self, tmp_path):
        (tmp_path / "secret_key").write_text("\n")
        result = django("check", HARBOUR_VAR_DIR=str(tmp_path))
        assert result.returncode != 0 and "does not hold a usable secret key" in result.stderr


class TestProductionSettings:
    def test_refuses_to_start_on_a_shared_database_without_a_secret_key(self, tmp_path):
        result = django("check", DATABASE_URL=POSTGRES, ALLOWED_HOSTS="harbour.example",
                        HARBOUR_VAR_DIR=str(tmp_path))
        assert result.returncode != 0
        assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
        assert not (tmp_path / "secret_key").exists()  # no key is made up where processes must share one

    def test_https_is_on_where_harbour_is_deployed(self, tmp_path):
        shared = {"DATABASE_URL": POSTGRES, "SECRET_KEY": PRODUCTION_KEY}
        assert last_line(django("shell", "-c", SHOW, **shared)).startswith("False True True True")
        assert last_line(django("shell", "-c", SHOW, HARBOUR_VAR_DIR=str(tmp_path),
                                HARBOUR_BASE_URL="https://harbour.example")).startswith("False True True True")
        # on SQLite too, once it answers to a name beyond this machine (behind a TLS proxy, say)
        assert last_line(django("shell", "-c", SHOW, HARBOUR_VAR_DIR=str(tmp_path),
                                ALLOWED_HOSTS="harbour.council.example")).startswith("False True True True")
        # a proxy in front that does the redirecting itself, and a quick look without TLS
        assert last_line(django("shell", "-c", SHOW, SECURE_SSL_REDIRECT="0", **shared)).startswith(
            "False True True False")
        assert last_line(django("shell", "-c", SHOW, HARBOUR_HTTPS="0", **shared)).startswith(
            "False False False False")

    def test_a_forwarded_scheme_is_believed_only_from_a_proxy_of_ours(self, tmp_path):
        code = "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)"
        shared = {"DATABASE_URL": POSTGRES, "SECRET_KEY": PRODUCTION_KEY}
        # straight to daphne, a client could write X-Forwarded-Proto itself and be served plain HTTP as secure
        assert last_line(django("shell", "-c", code, **shared)) == "None"
        assert last_line(django("shell", "-c", code, HARBOUR_TRUSTED_PROXIES="1", **shared)) == (
            "('HTTP_X_FORWARDED_PROTO', 'https')")

    def test_deploy_check_is_clean(self):
        result = django(
            "check", "--deploy", "--fail-level", "WARNING", DATABASE_URL=POSTGRES, SECRET_KEY=PRODUCTION_KEY,
            ALLOWED_HOSTS="harbour.example", CSRF_TRUSTED_ORIGINS="https://harbour.example",
            HARBOUR_BASE_URL="https://harbour.example",
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "no issues" in result.stdout

    def test_postgresql_connections_are_pooled_and_sized(self):
        """Under ASGI a connection is closed after every request: a pool per process keeps them open."""
        code = ("from django.conf import settings as s; d = s.DATABASES['default']; "
                "print(d['OPTIONS'].get('pool'), d['CONN_MAX_AGE'])")
        url = {"DATABASE_URL": POSTGRES, "SECRET_KEY": PRODUCTION_KEY}
        result = django("shell", "-c", code, **url)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == "{'min_size': 2, 'max_size': 10, 'timeout': 10} 0"
        result = django("shell", "-c", code, **url, HARBOUR_DB_POOL_MAX_SIZE="4",
                        HARBOUR_DB_POOL_MIN_SIZE="1")
        assert result.stdout.strip().splitlines()[-1] == "{'min_size': 1, 'max_size': 4, 'timeout': 10} 0"
        result = django("shell", "-c", code, **url, HARBOUR_DB_POOL_MAX_SIZE="0",
                        DATABASE_CONN_MAX_AGE="60")
        assert result.stdout.strip().splitlines()[-1] == "None 60"
        result = django("check", **url, DATABASE_CONN_MAX_AGE="60")
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
