"""A worker killed mid-task loses nothing, and two workers afterwards double nothing.

Real workers (`manage.py worker`, as production runs them) against the test's own PostgreSQL database:
the test holds a row lock so that the worker's task is caught mid-transaction, kills the worker with
SIGKILL, lets go, starts two workers, and counts. (Row locks and a second process need a real server:
this runs in the production configuration.)
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from comms import releases as comms_releases
from comms import services as comms_services
from comms.models import InboxItem, Message, MessageStatus
from core.models import Email, EmailState
from core.worker import ABANDONED
from incidents.models import TimelineEvent
from tests.servers import MANAGE, PYTHON, ROOT, child_env

pytestmark = [
    pytest.mark.real_clock,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (make test-production runs it)"),
]


def _database_url() -> str:
    s = connection.settings_dict
    credentials = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{credentials}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _dsn() -> str:
    s = connection.settings_dict
    return f"host={s['HOST'] or '127.0.0.1'} port={s['PORT'] or 5432} user={s['USER']} dbname={s['NAME']}" + (
        f" password={s['PASSWORD']}" if s["PASSWORD"] else "")


def _worker(tmp_path: Path, name: str) -> subprocess.Popen:
    env = child_env({
        "DATABASE_URL": _database_url(), "HARBOUR_VAR_DIR": str(tmp_path), "HARBOUR_SWEEP_SECONDS": "1",
        "HARBOUR_TASK_ABANDONED_SECONDS": "3", "HARBOUR_EMAIL_CLAIM_SECONDS": "3",
        # A worker on PostgreSQL with debugging off must be given a key (config/settings.py).
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "harbour-worker-crash-test-key-not-a-secret",
    })
    env.pop("REDIS_URL", None)  # the worker's broadcasts are not what is counted here
    log = (tmp_path / f"{name}.log").open("ab")
    return subprocess.Popen(  # noqa: S603
        [PYTHON, MANAGE, "worker", "--no-reload", "--interval", "0.2", "--queue-name", "*", "--no-startup-delay"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _wait(condition, timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {what}")


def _stop(*workers: subprocess.Popen) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()


def _clean_logs(tmp_path: Path) -> None:
    for name in ("second", "third"):
        assert "Traceback" not in (tmp_path / f"{name}.log").read_text(), name


@pytest.fixture(autouse=True)
def _no_clocks_due(incident):
    """The fixture's incident has statutory clocks, which at some times of day would be due and reminded
    by these workers too (their exactly-once tests are in tests/test_clocks.py). Here only the tasks under
    test may run, so its deadlines wait for clocks that have not started."""
    from clocks.models import Obligation

    Obligation.objects.filter(incident=incident).update(started_at=None, due_at=None, remind_at=None)


def _sent_subjects(tmp_path: Path) -> list[str]:
    mail = tmp_path / "mail"
    return [line for f in mail.glob("*") for line in f.read_text().splitlines() if line.startswith("Subject:")] \
        if mail.exists() else []


def test_a_killed_worker_loses_nothing_and_two_workers_double_nothing(cast, incident, tmp_path):
    when = timezone.now() + dt.timedelta(seconds=2)
    message = comms_services.message_draft(
        actor=cast.alice, incident_id=incident.pk, audience="people", recipients=["bob", "olive"],
        subject="Embargoed briefing", body="What we know.", release_at=when)
    comms_services.message_submit(actor=cast.alice, message_id=message.pk)
    comms_services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
    comms_releases.message_release(actor=cast.cora, message_id=message.pk)
    assert Message.objects.get(pk=message.pk).status == MessageStatus.SCHEDULED

    # Hold the message's row, so the worker's release task is caught mid-transaction waiting for it.
    holder = psycopg.connect(_dsn(), autocommit=False)
    holder.execute("SELECT id FROM comms_message WHERE id = %s FOR UPDATE", [message.pk])
    first = _worker(tmp_path, "first")
    try:
        _wait(lambda: DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists(), what="the task to start")
        time.sleep(0.5)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        holder.rollback()
        holder.close()
        _stop(first)  # killed already, unless the wait above failed: then no worker may outlive the test
    # Killed mid-task: nothing happened, and the task row is left running for ever.
    assert Message.objects.get(pk=message.pk).status == MessageStatus.SCHEDULED
    assert DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count() == 1

    workers = [_worker(tmp_path, "second"), _worker(tmp_path, "third")]
    try:
        _wait(lambda: Message.objects.get(pk=message.pk).status == MessageStatus.RELEASED, what="the release")
        _wait(lambda: list(Email.objects.filter(kind="comms.delivery", about_id=message.pk)
                           .values_list("state", flat=True))
              == [EmailState.SENT] * 2, what="the emails")
        _wait(lambda: not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists(),
              what="the abandoned task row to be retired")
        time.sleep(2.5)  # two more sweeps each: still nothing doubled
    finally:
        _stop(*workers)

    assert TimelineEvent.objects.filter(incident=incident, type="message.released").count() == 1
    assert InboxItem.objects.filter(message=message).count() == 2
    assert sorted(_sent_subjects(tmp_path)) == ["Subject: Embargoed briefing"] * 2
    assert DBTaskResult.objects.filter(exception_class_path=ABANDONED).count() == 1
    _clean_logs(tmp_path)


def test_an_email_caught_by_a_killed_worker_is_sent_once(cast, incident, tmp_path):
    message = comms_services.message_draft(
        actor=cast.alice, incident_id=incident.pk, audience="people", recipients=["bob"],
        subject="Briefing", body="What we know.")
    comms_services.message_submit(actor=cast.alice, message_id=message.pk)
    comms_services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
    comms_releases.message_release(actor=cast.cora, message_id=message.pk)
    email = Email.objects.get(kind="comms.delivery", about_id=message.pk)

    holder = psycopg.connect(_dsn(), autocommit=False)
    holder.execute("SELECT id FROM core_email WHERE id = %s FOR UPDATE", [email.pk])
    first = _worker(tmp_path, "first")
    try:
        _wait(lambda: DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists(), what="the send task")
        time.sleep(0.5)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        holder.rollback()
        holder.close()
        _stop(first)  # killed already, unless the wait above failed: then no worker may outlive the test
    assert Email.objects.get(pk=email.pk).state == EmailState.PENDING

    workers = [_worker(tmp_path, "second"), _worker(tmp_path, "third")]
    try:
        _wait(lambda: Email.objects.get(pk=email.pk).state == EmailState.SENT, what="the email")
        time.sleep(2.5)
    finally:
        _stop(*workers)
    assert _sent_subjects(tmp_path) == ["Subject: Briefing"]
    assert Email.objects.get(pk=email.pk).attempts == 1
    _clean_logs(tmp_path)


def test_two_workers_say_a_staff_support_reminder_once(cast, incident, people, tmp_path):
    """Real workers, sweeping every second, find a check-in past its time whose tasks were lost: its
    supporter, the person and the wellbeing leads are each told once, and each email is sent once."""
    from unittest import mock

    from core.models import Notice
    from core.workdays import is_bank_holiday
    from support import services as support_services
    from support.models import NOTICE_KINDS, FollowUp

    if is_bank_holiday(timezone.localdate()):
        pytest.skip("Office hours are closed all day on a bank holiday, whatever the settings.")
    entry = support_services.register_add(actor=cast.alice, incident_id=incident.pk, user="bob",
                                          exposure="witnessed", reason="Saw it")
    first = entry.created_follow_ups[0]
    FollowUp.objects.filter(pk=first.pk).update(due_at=timezone.now() - dt.timedelta(days=5))  # days ago
    DBTaskResult.objects.all().delete()  # as if the worker holding them had been killed
    office = {"HARBOUR_WORKING_HOURS": "00:00-23:59", "HARBOUR_WORKING_DAYS": "Mon-Sun"}
    with mock.patch.dict(os.environ, office):
        workers = [_worker(tmp_path, "second"), _worker(tmp_path, "third")]
    try:
        _wait(lambda: Notice.objects.filter(kind__in=NOTICE_KINDS).count() >= 3 and len(_sent_subjects(tmp_path)) >= 3, what="reminders")
        time.sleep(3)  # three more sweeps each: nothing more may be said
    finally:
        _stop(*workers)
    told = sorted(Notice.objects.filter(kind__in=NOTICE_KINDS).values_list("recipient__username", "kind"))
    assert told == [("bob", "support.offer"), ("mike", "support.due"), ("ruth", "support.overdue")]
    assert len(_sent_subjects(tmp_path)) == 3
    _clean_logs(tmp_path)
