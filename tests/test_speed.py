"""The write path stays lean (issue 8, point 2): what a request costs beyond its own work is held here.

A request crosses from the event loop to a thread once (core/http.py), a decision is written with the
incident fetched once and answered without reading it back, and the query counts of the writes are held.
"""

from __future__ import annotations

import json

import pytest
from asgiref import sync
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.asgi import application
from tests.factories import make_token


class Crossings:
    """Counts every hop between the event loop and a thread, both ways."""

    def __init__(self, monkeypatch):
        self.count = 0
        for cls in (sync.SyncToAsync, sync.AsyncToSync):
            real = cls.__call__

            def counted(instance, *args, _real=real, **kwargs):
                self.count += 1
                return _real(instance, *args, **kwargs)

            monkeypatch.setattr(cls, "__call__", counted)


async def post(path: str, token: str, body: dict) -> dict:
    data = json.dumps(body).encode()
    communicator = HttpCommunicator(application, "POST", path, body=data, headers=[
        (b"host", b"127.0.0.1"), (b"content-type", b"application/json"), (b"content-length", b"%d" % len(data)),
        (b"authorization", f"Token {token}".encode()),
    ])
    return await communicator.get_response(timeout=10)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_request_crosses_to_a_thread_once(cast, incident, monkeypatch):
    token = await database_sync_to_async(make_token)(cast.bob)
    path = f"/api/incidents/{incident.pk}/decisions/"
    await post(path, token, {"decision": "Warm up", "rationale": "r"})
    crossings = Crossings(monkeypatch)
    response = await post(path, token, {"decision": "Brief the team at noon", "rationale": "Before the press"})
    assert response["status"] == 201, response["body"]
    # request_started, then the middleware and view in one, then the broadcast after commit back on the
    # loop. Django's own handler made 7 for this request (counted the same way).
    assert crossings.count <= 3, crossings.count


def queries_for(call) -> tuple[list[str], object]:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    return [q["sql"] for q in captured.captured_queries], response


@pytest.mark.django_db
def test_a_decision_is_written_with_the_incident_read_once_and_not_read_back(cast, incident, api):
    client = api(cast.bob)
    url = f"/api/incidents/{incident.pk}/decisions/"
    client.post(url, {"decision": "Warm up", "rationale": "r"}, format="json")
    sql, response = queries_for(lambda: client.post(url, {"decision": "Call the family liaison",
                                                          "rationale": "First"}, format="json"))
    assert response.status_code == 201 and response.json()["number"] == 2
    reads = [q for q in sql if q.startswith("SELECT")]
    assert sum('FROM "incidents_incident"' in q for q in reads) == 1, reads
    assert not any('FROM "incidents_decision"' in q and "MAX(" not in q for q in reads), reads
    # the incident (locked), the member's roles, the next number; the entry, its audit row, its event
    assert len([q for q in sql if not q.startswith(("SAVEPOINT", "RELEASE"))]) <= 6, sql


@pytest.mark.django_db
def test_an_incident_is_opened_and_answered_without_reading_it_back(cast, api):
    client = api(cast.alice)
    body = {"title": "Assault on a worker", "kind": "staff_assault", "severity": "major",
            "occurred_at": "2026-01-10T09:00:00Z", "aware_at": "2026-01-10T09:30:00Z", "summary": "Assaulted."}
    sql, response = queries_for(lambda: client.post("/api/incidents/", body, format="json"))
    assert response.status_code == 201 and response.json()["lead"] == "alice"
    assert "edit" in response.json()["allowed_actions"]
    assert not any(q.startswith("SELECT") and 'FROM "incidents_incident"' in q for q in sql), sql
    # 8 for the incident and its lead, and 3 for its statutory clocks: the playbook read, the obligations and
    # their history rows written in one statement each.
    assert len([q for q in sql if not q.startswith(("SAVEPOINT", "RELEASE"))]) <= 11, sql


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_timeline_export_streams_in_chunks_through_the_server(cast, incident):
    """Served by the ASGI application, the export goes out a chunk at a time, so a long one never holds
    the process (issue 8: no request holds it for more than a second)."""
    from channels.testing import ApplicationCommunicator
    from django.test import Client
    from django.utils import timezone

    from incidents.models import TimelineEvent
    from incidents.views import CSV_CHUNK

    def prepare():
        TimelineEvent.objects.bulk_create([
            TimelineEvent(incident=incident, at=timezone.now(), type="decision.recorded", summary=f"Event {n}")
            for n in range(CSV_CHUNK + 10)])
        client = Client()
        client.force_login(cast.olive)
        return client.cookies["sessionid"].value

    session = await database_sync_to_async(prepare)()
    scope = {"type": "http", "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": f"/incidents/{incident.pk}/timeline.csv", "query_string": b"",
             "headers": [(b"host", b"127.0.0.1"), (b"cookie", f"sessionid={session}".encode())]}
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(10)
    assert start["status"] == 200
    bodies = []
    while True:
        message = await communicator.receive_output(10)
        bodies.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    assert len([b for b in bodies if b]) >= 3
    assert b"".join(bodies).decode().count("\n") == 1 + CSV_CHUNK + 10 + 5  # header, events, the cast joining
