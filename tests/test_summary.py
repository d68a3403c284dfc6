"""The one-page incident summary (issue 11, point 7): `/incidents/<id>/summary/` for the Director and the
Lead Member. Status, key decisions, what has gone out, the clocks and the open actions, each wing adding its
part; for anyone who may see the incident; not found, byte for byte as an absent one, for everyone else;
a fixed number of queries however large the incident."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from clocks.models import Obligation
from comms import releases as comms_releases
from comms import services as comms
from incidents import services
from support import services as support
from tests.test_not_found import CSRF

pytestmark = pytest.mark.django_db


def _get(client, who, incident_id):
    client.force_login(who)
    return client.get(f"/incidents/{incident_id}/summary/")


def _release(cast, incident, subject, audience="all_staff"):
    message = comms.message_draft(actor=cast.alice, incident_id=incident.pk, audience=audience,
                                  subject=subject, body="What happened, plainly.")
    comms.message_submit(actor=cast.alice, message_id=message.pk)
    comms.message_approve(actor=cast.cora, message_id=message.pk, version=1)
    comms_releases.message_release(actor=cast.cora, message_id=message.pk)
    return message


def _grow(cast, incident, n: int):
    """n more of everything: decisions, released briefings, messages in review, check-ins."""
    for i in range(n):
        services.decision_record(actor=cast.alice, incident_id=incident.pk, decision=f"Decision text {i}",
                                 rationale="Because.")
        _release(cast, incident, f"Briefing {i}")
        message = comms.message_draft(actor=cast.alice, incident_id=incident.pk, audience="all_staff",
                                      subject=f"Draft {i}", body="B")
        comms.message_submit(actor=cast.alice, message_id=message.pk)


@pytest.mark.across_the_week
def test_a_member_sees_status_decisions_what_went_out_clocks_and_open_actions(cast, client, incident, people):
    services.decision_record(actor=cast.alice, incident_id=incident.pk, decision="Tell staff before the press",
                             rationale="Staff must not learn of it from the news.",
                             review_at=timezone.now() + dt.timedelta(hours=2))
    _release(cast, incident, "Briefing for the North team")
    waiting = comms.message_draft(actor=cast.alice, incident_id=incident.pk, audience="all_staff",
                                  subject="Second briefing", body="B")
    comms.message_submit(actor=cast.alice, message_id=waiting.pk)
    Obligation.objects.filter(incident=incident, code="panel_notification").update(
        due_at=timezone.now() - dt.timedelta(hours=1))
    support.register_add(actor=cast.alice, incident_id=incident.pk, user="bob", exposure="witnessed",
                         reason="Was on the visit", supporter="olive")

    response = _get(client, cast.bob, incident.pk)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("Official – Sensitive") == 2
    for text in (incident.reference, incident.title, "Open", "Death of a child", "Critical", "Became aware",
                 "Key decisions", "Decision 1", "Tell staff before the press", "Decided by Alice Adams",
                 "What has gone out", "Briefing for the North team", "All staff", "Statutory clocks", "Overdue",
                 "Open actions", "Messages awaiting approval", "Decisions due for review",
                 "Staff with a check-in to come (counts only)"):
        assert text in body, text
    assert "Second briefing" not in body  # not gone out: counted among the open actions only
    assert re.search(r"Produced \d{1,2} \w{3} \d{4}, \d\d:\d\d by Bob Brown", body)
    # Counts only for staff support: nobody's name, nor how they were affected.
    part = body[body.index('id="summary-open-actions"'):]
    assert "Bob Brown" not in part and "witnessed" not in part.lower() and "Olive" not in part
    # One person on the register: the same counts as the Staff support tab, withheld as there.
    assert "fewer than 5 with one past its time" in part and ">3<" not in part


def test_it_is_linked_from_the_incident_menu(cast, client, incident):
    client.force_login(cast.bob)
    body = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert f'href="/incidents/{incident.pk}/summary/"' in body
    summary = _get(client, cast.bob, incident.pk).content.decode()
    assert 'aria-current="page">Summary to print<' in summary


def test_read_only_readers_may_see_it_too(cast, client, incident):
    for who in (cast.olive, cast.sam):
        assert _get(client, who, incident.pk).status_code == 200


def test_an_outsider_finds_a_restricted_incident_exactly_as_an_absent_one(cast, client, restricted, incident):
    hidden = _get(client, cast.sam, restricted.pk)
    absent = _get(client, cast.sam, 987_654_321)
    assert hidden.status_code == absent.status_code == 404
    assert CSRF.sub(b"", hidden.content) == CSRF.sub(b"", absent.content)
    assert b"Restricted matter" not in hidden.content
    assert _get(client, cast.charlie, incident.pk).status_code == 404
    client.logout()
    assert client.get(f"/incidents/{incident.pk}/summary/").status_code == 302


def test_an_empty_incident_says_so_plainly(cast, client, incident):
    body = _get(client, cast.alice, incident.pk).content.decode()
    for text in ("No decisions are recorded yet.", "Nothing has been released yet."):
        assert text in body
    assert "Staff with a check-in to come" not in body  # nobody on the register: no row of none


def test_the_latest_five_decisions_newest_first(cast, client, incident):
    for i in range(7):
        services.decision_record(actor=cast.alice, incident_id=incident.pk, decision=f"Entry number {i}",
                                 rationale="r")
    body = _get(client, cast.alice, incident.pk).content.decode()
    shown = re.findall(r"Entry number (\d)", body)
    assert shown == ["6", "5", "4", "3", "2"]


def test_the_query_count_does_not_grow_with_the_incident(cast, client, incident, people,
                                                         django_assert_max_num_queries):
    client.force_login(cast.alice)
    with django_assert_max_num_queries(18) as small:
        client.get(f"/incidents/{incident.pk}/summary/")
    _grow(cast, incident, 6)
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = client.get(f"/incidents/{incident.pk}/summary/")
    assert response.status_code == 200 and "Briefing 5" in response.content.decode()
    assert len(large.captured_queries) == len(small.captured_queries), [q["sql"][:90] for q in large.captured_queries]


def test_the_page_prints_on_its_own_layout(cast, client, incident):
    """The print rules live in harbour.css; the page carries the classes they name, and no script."""
    body = _get(client, cast.alice, incident.pk).content.decode()
    assert 'class="harbour-summary"' in body and 'class="harbour-no-print"' in body
    assert "window.print" not in body and "onclick" not in body
    from pathlib import Path

    css = (Path(__file__).resolve().parent.parent / "static" / "harbour" / "harbour.css").read_text()
    assert "@page harbour-summary { size: A4 portrait" in css
    assert "body:has(.harbour-summary) .govuk-header" in css
