"""No oracle for what is restricted: for every page and API endpoint that names an object, the answer
about an object the person may not see is byte for byte the answer about one that never existed.

The endpoints are read from the URL configuration itself, so an endpoint added later is checked too.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from comms import media as comms_media
from comms import protect as comms_protect
from comms import services as comms_services
from incidents import services
from incidents.tokens import api_token_make
from tests.factories import open_incident

pytestmark = pytest.mark.django_db

ABSENT = 987_654_321
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
# One body for every write: valid enough that a refusal would come from finding the object, not parsing.
BODY = {
    "version": 1, "comment": "Please change this.", "reason": "A reason", "override_reason": "",
    "wants_support": False, "status": "stabilising", "role": "member", "user": "bob", "decision": "d",
    "rationale": "r", "value": "Hollins", "kind": "name", "informed_at": "2026-01-01T10:00:00Z",
    "informed_by": "Police", "outlet": "Paper", "journalist": "J", "contact": "c",
    "received_at": "2026-01-01T10:00:00Z", "question": "Q?", "audience": "all_staff", "subject": "S",
    "body": "B", "reference": "CSPRP-1", "step": "director", "person": "Dana Director", "method": "phone",
}


def _routes(patterns=None, prefix: str = ""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and PARAM.search(str(entry.pattern)):
            yield prefix + str(entry.pattern)


ROUTES = sorted({r for r in _routes() if not r.startswith(("admin/", "api/schema", "api/docs", "api/redoc"))})


@pytest.fixture
def hidden(cast):
    """Everything of a restricted incident, which Sam (a senior leader outside it) may not see."""
    incident = open_incident(cast, restricted=True, title="Restricted matter")
    message = comms_services.message_draft(actor=cast.alice, incident_id=incident.pk, audience="people",
                                           recipients=["bob"], subject="S", body="B")
    decision = services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r")
    identifier = comms_protect.identifier_add(actor=cast.cora, incident_id=incident.pk, value="Hollins", kind="name")
    enquiry = comms_media.media_enquiry_log(actor=cast.cora, incident_id=incident.pk, outlet="Paper",
                                               journalist="J", contact="c", received_at=timezone.now(), question="Q?")
    from support import debriefing as support_debriefing
    from support import services as support_services

    entry = support_services.register_add(actor=cast.alice, incident_id=incident.pk, user="bob",
                                          exposure="witnessed", reason="r", supporter="olive")
    token = api_token_make(actor=cast.alice, name="Alice's own")[0]  # nobody else's to see
    return {"token_id": token.pk, "incident_id": incident.pk, "message_id": message.pk,
            "obligation_id": incident.obligations.get(code="panel_notification").pk, "decision_id": decision.pk,
            "identifier_id": identifier.pk, "enquiry_id": enquiry.pk, "username": "bob", "panel": "members",
            "action": "submit", "entry_id": entry.pk, "follow_up_id": entry.created_follow_ups[0].pk,
            "debrief_id": support_debriefing.debrief_schedule(
                actor=cast.alice, incident_id=incident.pk, kind="hot", starts_at=timezone.now() + dt.timedelta(days=1),
                duration_minutes=60, location="Room 1", facilitator="tom", invitees=["bob"]).pk}


def _url(route: str, values: dict) -> str:
    return "/" + PARAM.sub(lambda m: str(values.get(m.group(2), ABSENT)), route)


def _absent(values: dict) -> dict:
    return {k: (v if isinstance(v, str) else ABSENT) for k, v in values.items()}


def test_every_route_with_an_object_is_checked():
    assert len(ROUTES) >= 30 and any("media-enquiries" in r for r in ROUTES), ROUTES


@pytest.mark.parametrize("route", ROUTES)
def test_a_hidden_object_is_not_found_exactly_as_an_absent_one(cast, hidden, route):
    api = APIClient()
    api.force_login(cast.sam)
    for method in ("get", "post", "patch", "delete"):
        answers = []
        for values in (hidden, _absent(hidden)):
            url = _url(route, values)
            data = BODY if method != "get" else None
            response = getattr(api, method)(url, data, format="json") if route.startswith("api/") else \
                getattr(api, method)(url, data)
            # A page's sign-out form carries a CSRF token masked afresh in every response (two identical
            # requests differ there too): that is no oracle, so it is set aside; everything else must match.
            answers.append((response.status_code, CSRF.sub(b"", response.content)))
        assert answers[0] == answers[1], (method, route, answers)
        assert answers[0][0] not in range(200, 300), (method, route, answers[0])
