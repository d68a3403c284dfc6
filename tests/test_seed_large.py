"""`manage.py seed_large` at a tiny scale: its report line, the sizes it promises, that it runs once, and that
the lead's pages render what it wrote."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from comms.models import InboxItem, Message, MessageVersion
from incidents.models import Decision, Incident, MemberRole, Membership, TimelineEvent
from incidents.selectors import visible_incidents
from people.models import User

pytestmark = pytest.mark.django_db

SCALE = 0.005  # 5 incidents, about 1,000 events, 25 messages


def seed_large(*args: str) -> dict:
    out = StringIO()
    call_command("seed_large", "--scale", str(SCALE), "--not-live", *args, stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


@pytest.fixture
def demo(db) -> set[int]:
    """The demo organisation seed_large builds on; returns its incidents' ids."""
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    return set(Incident.objects.values_list("pk", flat=True))


@pytest.fixture
def seeded(demo) -> dict:
    return seed_large()


def test_the_last_line_reports_what_was_written(demo, seeded):
    assert set(seeded) == {"large_incident", "small_incident", "lead", "counts", "seconds"}
    assert seeded["lead"] == "dhughes"
    assert seeded["seconds"] >= 0
    counts = seeded["counts"]
    ours = Incident.objects.exclude(pk__in=demo)
    assert counts["incidents"] == ours.count() == round(1_000 * SCALE)
    assert counts["messages"] == Message.objects.filter(incident__in=ours).count() == round(5_000 * SCALE)
    assert counts["timeline_events"] == TimelineEvent.objects.filter(incident__in=ours).count()
    # Exact but for the small incident, which rounds up to the least its shape needs.
    assert round(200_000 * SCALE) <= counts["timeline_events"] <= round(200_000 * SCALE) + 10
    assert counts["decisions"] == Decision.objects.filter(incident__in=ours).count()
    assert counts["staff"] == User.objects.filter(email__endswith="@harbour-large.example").count() >= 10
    assert counts["lead_inbox_items"] == InboxItem.objects.filter(recipient__username="dhughes").count()
    assert counts["lead_inbox_items"] >= round(1_000 * SCALE)


def test_the_large_incident_has_the_promised_shape(seeded):
    large = Incident.objects.get(pk=seeded["large_incident"])
    assert seeded["counts"]["large"] == {
        "timeline_events": round(20_000 * SCALE), "decisions": round(10_000 * SCALE),
        "historical_decisions": round(10_000 * SCALE), "messages": round(1_000 * SCALE),
        "members": large.memberships.active().count(),
    }
    numbers = list(large.decisions.order_by("number").values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    events = list(TimelineEvent.objects.filter(incident=large).order_by("id").values_list("at", flat=True))
    assert events == sorted(events)  # ids grow with time
    for message in Message.objects.filter(incident=large):
        assert message.version == MessageVersion.objects.filter(message=message).latest("number").number


def test_the_lead_leads_both_incidents_and_sees_them(seeded):
    lead = User.objects.get(username="dhughes")
    ids = {seeded["large_incident"], seeded["small_incident"]}
    assert ids <= set(visible_incidents(lead).values_list("pk", flat=True))
    leads = Membership.objects.active().filter(incident__in=ids, role=MemberRole.LEAD)
    assert sorted(leads.values_list("incident", "user__username")) == sorted((i, "dhughes") for i in ids)
    small = seeded["counts"]["small"]
    assert small["decisions"] >= 1 and small["messages"] >= 1 and small["members"] >= 3


def test_a_second_run_is_refused(seeded):
    before = (Incident.objects.count(), User.objects.count())
    with pytest.raises(CommandError, match="already run"):
        seed_large()
    assert (Incident.objects.count(), User.objects.count()) == before


def test_an_unknown_lead_is_refused(demo):
    with pytest.raises(CommandError, match="no active user"):
        seed_large("--lead", "nobody")


def test_the_lead_sees_the_large_workspace(seeded, client):
    client.force_login(User.objects.get(username="dhughes"))
    for incident in (seeded["large_incident"], seeded["small_incident"]):
        response = client.get(f"/incidents/{incident}/")
        assert response.status_code == 200
        assert Incident.objects.get(pk=incident).reference in response.content.decode()


@pytest.mark.django_db
def test_it_refuses_a_live_harbour(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="never on a live Harbour"):
        call_command("seed_large", "--scale", "0.005", stdout=StringIO())
