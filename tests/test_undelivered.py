"""A message that cannot be delivered to someone (issue 18, point 6): it is told to its author and the
incident's comms lead, once, however many of its emails fail and however many workers or sweeps record
them; it waits on their Now page until they mark it seen or someone tries again; the message's deliveries
say which emails failed and why. Nobody else is told.

The probe's case first: a subject with a line break was approved, released, and then failed at every send,
silently. Such a subject is now refused when it is typed (tests/test_input_limits.py); one already stored
fails at once, as an email that cannot be made, and is told."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import close_old_connections, connection

from comms import releases as comms_releases
from comms import services
from comms.models import CommsEvent, Message
from core import outbox
from core.models import Email, Notice
from core.outbox import FAILED, PENDING
from core.worker import sweep
from incidents.membership import member_remove
from incidents.models import TimelineEvent
from incidents.now import now_for
from tests.factories import Cast, open_incident

pytestmark = pytest.mark.django_db


def released(cast, incident, *, recipients=("bob", "olive", "charlie"), subject="What we know"):
    message = services.message_draft(actor=cast.alice, incident_id=incident.pk, audience="people",
                                     recipients=list(recipients), subject=subject, body="Plain facts.")
    services.message_submit(actor=cast.alice, message_id=message.pk)
    services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
    return comms_releases.message_release(actor=cast.cora, message_id=message.pk)


def with_a_broken_subject(cast, incident) -> Message:
    """A message released before subjects were held to one line: its subject has a line break in it."""
    message = released(cast, incident)
    Message.objects.filter(pk=message.pk).update(subject="What we know\nand what we do not")
    deliveries(message).update(subject="What we know\nand what we do not")
    message.refresh_from_db()
    return message


def deliveries(message):
    return Email.objects.filter(kind="comms.delivery", about_id=message.pk).order_by("pk")


def emails_about(message):
    """The emails to staff about the message: not among its deliveries."""
    return Email.objects.filter(kind="comms.notice", about_id=message.pk).order_by("pk")


def send_all(message) -> list[str]:
    return [outbox.send_attempt(email.pk) for email in deliveries(message)]


def notices(message):
    return Notice.objects.filter(kind="comms.undelivered", about_id=message.pk)


def open_notices(message) -> set[str]:
    return set(notices(message).filter(closed_at__isnull=True).values_list("recipient__username", flat=True))


def notice_emails(message) -> list[str]:
    return sorted(emails_about(message).filter(subject__startswith="Not delivered").values_list("to", flat=True))


def told_on_timeline(incident) -> int:
    return TimelineEvent.objects.filter(incident=incident, type=CommsEvent.DELIVERY_FAILED).count()


def undelivered_on_now(person) -> list[str]:
    return [item.title for item in now_for(person) if item.kind == "undelivered"]


class TestAnEmailThatCannotBeMade:
    def test_it_fails_at_once_and_tells_the_author_and_the_comms_lead_once(self, cast, incident):
        message = with_a_broken_subject(cast, incident)
        assert send_all(message) == ["failed", "failed", "failed"]  # no retries: no retry could make it
        email = deliveries(message).first()
        assert email.attempts == 1 and email.state == FAILED
        assert "subject has a line break in it" in email.last_error
        assert open_notices(message) == {"alice", "cora"}  # the author and the comms lead, nobody else
        assert notice_emails(message) == ["alice@example.org", "cora@example.org"]
        assert told_on_timeline(incident) == 1

    def test_two_sweeps_and_another_attempt_say_nothing_more(self, cast, incident):
        message = with_a_broken_subject(cast, incident)
        send_all(message)
        sweep()
        sweep()
        assert [outbox.send_attempt(e.pk) for e in deliveries(message)] == ["moved on"] * 3
        assert open_notices(message) == {"alice", "cora"}
        assert notices(message).count() == 2
        assert notice_emails(message) == ["alice@example.org", "cora@example.org"]
        assert told_on_timeline(incident) == 1

    def test_the_notice_email_itself_can_be_sent(self, cast, incident):
        message = with_a_broken_subject(cast, incident)
        send_all(message)
        for email in emails_about(message):
            assert outbox.send_attempt(email.pk) == "sent"
        sent = [m for m in mail.outbox if m.subject.startswith("Not delivered")]
        assert {tuple(m.to) for m in sent} == {("alice@example.org",), ("cora@example.org",)}
        assert sent[0].subject == "Not delivered: What we know and what we do not"  # on one line
        assert "so far, 1 of its 3 emails could not be sent" in sent[0].body  # told at the first
        assert f"/messages/{message.pk}/#deliveries" in sent[0].body


class TestAMailServerThatKeepsRefusing:
    def test_after_the_last_try_it_is_told_once_with_the_servers_answer(self, cast, incident, settings,
                                                                        time_machine):
        message = released(cast, incident, recipients=("bob",))
        settings.EMAIL_BACKEND = "tests.email_backends.BrokenBackend"
        settings.HARBOUR_EMAIL_MAX_ATTEMPTS = 2
        email = deliveries(message).get()
        time_machine.move_to(email.created_at, tick=False)
        assert outbox.send_attempt(email.pk) == "pending"
        assert open_notices(message) == set()  # a failure that may pass tells nobody yet
        email.refresh_from_db()
        time_machine.move_to(email.next_attempt_at, tick=False)
        assert outbox.send_attempt(email.pk) == "failed"
        email.refresh_from_db()
        assert email.last_error.startswith("Not sent after 2 tries") and "refused the connection" in email.last_error
        assert open_notices(message) == {"alice", "cora"}

    def test_a_notice_email_that_fails_tells_nobody(self, cast, incident, settings):
        message = with_a_broken_subject(cast, incident)
        send_all(message)
        comms_releases.undelivered_seen(actor=cast.alice, message_id=message.pk)
        comms_releases.undelivered_seen(actor=cast.cora, message_id=message.pk)
        settings.EMAIL_BACKEND = "tests.email_backends.BrokenBackend"
        settings.HARBOUR_EMAIL_MAX_ATTEMPTS = 1
        for email in emails_about(message):
            assert outbox.send_attempt(email.pk) == "failed"
        assert open_notices(message) == set() and told_on_timeline(incident) == 1


class TestWhoIsTold:
    def test_only_the_author_and_the_comms_lead_see_it_on_now(self, cast, incident):
        message = with_a_broken_subject(cast, incident)
        send_all(message)
        assert undelivered_on_now(cast.alice) == [message.subject]
        assert undelivered_on_now(cast.cora) == [message.subject]
        for person in (cast.tom, cast.bob, cast.olive, cast.sam, cast.charlie):
            assert undelivered_on_now(person) == [], person.username

    def test_someone_who_leaves_the_incident_no_longer_sees_it(self, cast, incident):
        message = with_a_broken_subject(cast, incident)
        send_all(message)
        member_remove(actor=cast.alice, incident_id=incident.pk, username="cora", reason="Moved to another team")
        assert undelivered_on_now(cast.cora) == [] and undelivered_on_now(cast.alice) == [message.subject]

    def test_an_author_who_has_left_is_not_told(self, cast, incident):
        message = services.message_draft(actor=cast.tom, incident_id=incident.pk, audience="people",
                                         recipients=["bob"], subject="S", body="B")
        services.message_submit(actor=cast.tom, message_id=message.pk)
        services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
        comms_releases.message_release(actor=cast.cora, message_id=message.pk)
        member_remove(actor=cast.alice, incident_id=incident.pk, username="tom", reason="Moved on")
        deliveries(message).update(subject="S\r\nBcc: everyone@example.org")
        send_all(message)
        assert open_notices(message) == {"cora"}

    def test_the_now_page_and_api_show_it_with_where_to_act(self, cast, incident, client, api):
        message = with_a_broken_subject(cast, incident)
        send_all(message)
        client.force_login(cast.cora)
        page = client.get("/").content.decode()
        assert f"/messages/{message.pk}/#deliveries" in page and "3 of its 3 emails could not be sent" in page
        items = api(cast.alice).get("/api/me/now/").json()["items"]
        undelivered = [i for i in items if i["kind"] == "undelivered"]
        assert undelivered[0]["url"] == f"/messages/{message.pk}/#deliveries"
        assert undelivered[0]["label"] == "Not delivered" and undelivered[0]["incident"]["id"] == incident.pk
        assert not [i for i in api(cast.bob).get("/api/me/now/").json()["items"] if i["kind"] == "undelivered"]


class TestTheDeliveriesSayWhy:
    def test_the_page_shows_which_failed_and_why(self, cast, incident, client):
        message = with_a_broken_subject(cast, incident)
        send_all(message)
        client.force_login(cast.cora)
        page = client.get(f"/messages/{message.pk}/").content.decode()
        assert 'data-testid="undelivered"' in page and "3 of its emails could not be sent" in page
        assert "Could not be sent" in page and "has a line break in it" in page
        assert "I have seen this" in page and "Try them again" in page
        # The emails about it to staff are not among its deliveries.
        assert "alice@example.org" not in page.split('id="deliveries"')[1]

    def test_the_api_lists_each_failure_with_its_reason(self, cast, incident, api):
        message = with_a_broken_subject(cast, incident)
        send_all(message)
        results = api(cast.cora).get(f"/api/messages/{message.pk}/deliveries/").json()["results"]
        assert sorted(r["to"] for r in results) == ["bob@example.org", "charlie@example.org", "olive@example.org"]
        assert {r["state"] for r in results} == {"failed"} and all("line break" in r["last_error"] for r in results)

    def test_a_member_who_does_not_approve_sees_no_banner(self, cast, incident, client):
        message = with_a_broken_subject(cast, incident)
        send_all(message)
        client.force_login(cast.bob)
        assert 'data-testid="undelivered"' not in client.get(f"/messages/{message.pk}/").content.decode()


class TestMarkingItSeen:
    def test_on_the_page_it_leaves_your_now_and_nobody_elses(self, cast, incident, client):
        message = with_a_broken_subject(cast, incident)
        send_all(message)
        client.force_login(cast.alice)
        response = client.post(f"/messages/{message.pk}/undelivered-seen/")
        assert response.status_code == 302
        assert undelivered_on_now(cast.alice) == [] and undelivered_on_now(cast.cora) == [message.subject]
        assert deliveries(message).filter(state=FAILED).count() == 3  # the record stays
        again = client.post(f"/messages/{message.pk}/undelivered-seen/")
        assert again.status_code == 409 and "nothing about this message waiting" in again.content.decode()

    def test_by_the_api(self, cast, incident, api):
        message = with_a_broken_subject(cast, incident)
        send_all(message)
        url = f"/api/messages/{message.pk}/undelivered/seen/"
        assert api(cast.cora).post(url).status_code == 200
        assert open_notices(message) == {"alice"}
        refused = api(cast.cora).post(url)
        assert refused.status_code == 409 and refused.json()["code"] == "nothing_to_see"
        assert api(cast.bob).post(url).status_code == 409  # he was told nothing
        assert api(cast.charlie).post(url).status_code == 404  # an outsider: no such message
        assert open_notices(message) == {"alice"}


class TestTryingAgain:
    def test_a_refused_send_is_tried_afresh_and_every_notice_closes(self, cast, incident, api, settings):
        message = released(cast, incident, recipients=("bob", "olive"))
        settings.EMAIL_BACKEND = "tests.email_backends.BrokenBackend"
        settings.HARBOUR_EMAIL_MAX_ATTEMPTS = 1
        send_all(message)
        assert open_notices(message) == {"alice", "cora"}
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        response = api(cast.cora).post(f"/api/messages/{message.pk}/deliveries/retry/")
        assert response.status_code == 200 and response.json()["id"] == message.pk
        assert set(deliveries(message).values_list("state", "attempts")) == {(PENDING, 0)}
        assert open_notices(message) == set() and undelivered_on_now(cast.alice) == []
        assert TimelineEvent.objects.filter(incident=incident, type=CommsEvent.DELIVERY_RETRIED).count() == 1
        assert send_all(message) == ["sent", "sent"]

    def test_failing_again_is_told_again(self, cast, incident, settings):
        message = released(cast, incident, recipients=("bob",))
        settings.EMAIL_BACKEND = "tests.email_backends.BrokenBackend"
        settings.HARBOUR_EMAIL_MAX_ATTEMPTS = 1
        send_all(message)
        comms_releases.message_delivery_retry(actor=cast.cora, message_id=message.pk)
        send_all(message)
        assert open_notices(message) == {"alice", "cora"} and told_on_timeline(incident) == 2

    def test_who_may_and_when(self, cast, incident, api, client):
        message = with_a_broken_subject(cast, incident)
        send_all(message)
        url = f"/api/messages/{message.pk}/deliveries/retry/"
        assert api(cast.bob).post(url).status_code == 403  # a member who does not approve
        assert api(cast.charlie).post(url).status_code == 404
        cannot = api(cast.cora).post(url)  # an email that cannot be made would only fail again
        assert cannot.status_code == 409 and "line break" in cannot.json()["detail"]
        assert open_notices(message) == {"alice", "cora"}
        draft = services.message_draft(actor=cast.alice, incident_id=incident.pk, audience="all_staff",
                                       subject="Draft", body="B")
        assert api(cast.cora).post(f"/api/messages/{draft.pk}/deliveries/retry/").json()["code"] == "not_released"
        sent = released(cast, incident, recipients=("bob",), subject="Went fine")
        send_all(sent)
        assert api(cast.cora).post(f"/api/messages/{sent.pk}/deliveries/retry/").json()["code"] == "nothing_to_retry"
        client.force_login(cast.cora)
        page = client.post(f"/messages/{sent.pk}/retry-deliveries/")
        assert page.status_code == 409 and "nothing to try again" in page.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (make test-production runs it)")
def test_many_workers_failing_its_emails_at_once_tell_each_person_once(settings):
    """Eight workers record eight of a message's emails failing at the same moment: the author and the
    comms lead are each told once (the open notice's unique constraint), and the timeline says it once."""
    from tests.factories import seed_playbooks

    seed_playbooks()
    cast = Cast()
    incident = open_incident(cast)
    names = [f"reader{n}" for n in range(8)]
    from tests.factories import make_user

    for name in names:
        make_user(name, f"Reader {name}")
    message = released(cast, incident, recipients=names)
    settings.EMAIL_BACKEND = "tests.email_backends.BrokenBackend"
    settings.HARBOUR_EMAIL_MAX_ATTEMPTS = 1
    emails = list(deliveries(message).values_list("pk", flat=True))
    barrier = threading.Barrier(len(emails))
    outcomes, errors = [], []

    def worker(pk: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(outbox.send_attempt(pk))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=worker, args=(pk,)) for pk in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and outcomes == ["failed"] * len(emails)
    assert notices(message).count() == 2
    assert open_notices(message) == {"alice", "cora"}
    assert notice_emails(message) == ["alice@example.org", "cora@example.org"]
    assert told_on_timeline(incident) == 1
