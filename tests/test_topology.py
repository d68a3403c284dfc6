"""The production topology end to end: two daphne web processes and one `manage.py worker` on a fresh PostgreSQL
database and the real Redis channel layer (tests/servers.py).

A change made through web process A must reach a socket held by web process B, and what the separate
worker process does (a decision's review falling due) must reach it too. Everything goes through HTTP
and WebSockets: no ORM here, so no pytest-django database and no `db` fixture.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.servers import Stack, api_request, harbour_stack, is_postgres_url

pytestmark = [
    pytest.mark.real_clock,
    pytest.mark.xdist_group("topology"),
    pytest.mark.production,
    pytest.mark.skipif(
        not (is_postgres_url(os.environ.get("DATABASE_URL")) and os.environ.get("REDIS_URL")),
        reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL",
    ),
]

PASSWORD = "harbour-demo"


@pytest.fixture(scope="module")
def topology() -> Iterator[Stack]:
    with harbour_stack("production", web=2, workers=1) as stack:
        yield stack


def _token(base: str, username: str) -> str:
    return api_request(f"{base}/api/auth/token/", data={"username": username, "password": PASSWORD})["token"]


def _socket(base: str, incident_id: int, token: str) -> ClientConnection:
    url = base.replace("http://", "ws://") + f"/ws/incidents/{incident_id}/"
    return connect(url, origin=base, additional_headers={"Authorization": f"Token {token}"},
                   open_timeout=10, close_timeout=2)


def _ready(socket: ClientConnection) -> None:
    """A resync round trip proves the consumer is running and subscribed to its group."""
    socket.send(json.dumps({"type": "resync", "after": 10**9}))
    _receive_until(socket, lambda m: m.get("type") == "resync.done", timeout=5)


def _receive_until(socket: ClientConnection, match: Callable[[dict], bool], timeout: float) -> tuple[dict, list]:
    """Read messages until one matches; fail with everything seen if none does in time."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            raw = socket.recv(timeout=left)
        except TimeoutError:
            break
        message = json.loads(raw)
        seen.append(message)
        if match(message):
            return message, seen
    raise AssertionError(f"no matching message within {timeout}s; received: {seen}")


def _event_of(kind: str, needle: str) -> Callable[[dict], bool]:
    def match(message: dict) -> bool:
        event = message.get("event") or {}
        return message.get("type") == "timeline.event" and event.get("type") == kind and needle in event.get(
            "summary", "")

    return match


def _led_by(base: str, token: str, username: str) -> int:
    incidents = api_request(f"{base}/api/incidents/", token=token)["results"]
    led = [i["id"] for i in incidents if i["lead"] == username]
    assert led, incidents
    return led[0]


def test_web_processes_and_worker_share_live_updates(topology: Stack):
    web_a, web_b = topology.urls
    token = _token(web_a, "dhughes")
    incident_id = _led_by(web_a, token, "dhughes")

    with _socket(web_b, incident_id, token) as socket:
        _ready(socket)  # subscribed on B before we act on A

        # 1. A decision recorded through web process A reaches the socket held by web process B.
        text = f"Brief the partners at noon {secrets.token_hex(3)}"
        entry = api_request(f"{web_a}/api/incidents/{incident_id}/decisions/", token=token,
                     data={"decision": text, "rationale": "They need to hear it from us first."})
        message, _ = _receive_until(socket, _event_of("decision.recorded", text), timeout=5)
        assert message["event"]["actor"] == "dhughes"
        assert set(message["event"]) >= {"id", "at", "actor", "actor_name", "type", "summary"}
        assert f"Decision {entry['number']}" in message["event"]["summary"]

        # 2. A review falling due is noticed by the separate worker process and pushed through Redis to B.
        review_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
        entry = api_request(f"{web_a}/api/incidents/{incident_id}/decisions/", token=token,
                     data={"decision": f"Check on the team again {secrets.token_hex(3)}",
                           "rationale": "Reactions often come later.", "review_at": review_at.isoformat()})
        due = f"Decision {entry['number']} is due for review."
        try:
            message, _ = _receive_until(socket, _event_of("decision.review_due", due), timeout=12)
        except AssertionError:
            topology.check_alive()
            raise AssertionError(f"no review_due push; server logs:\n{topology.logs()}") from None
        assert message["event"]["actor"] is None  # said by Harbour itself, not a person
        assert dt.datetime.fromisoformat(message["event"]["at"]) >= review_at, "announced before it was due"
    topology.check_alive()


def test_removal_through_one_process_closes_the_socket_on_another(topology: Stack):
    """bpatel, removed through A, loses the socket held on B at once, without hearing why (4403)."""
    web_a, web_b = topology.urls
    lead_token, member_token = _token(web_a, "dhughes"), _token(web_a, "bpatel")
    incident_id = _led_by(web_a, lead_token, "dhughes")  # the restricted incident; bpatel is a member

    with _socket(web_b, incident_id, lead_token) as lead, _socket(web_b, incident_id, member_token) as member:
        _ready(lead)
        _ready(member)
        reason = f"Reassigned {secrets.token_hex(3)}"
        api_request(f"{web_a}/api/incidents/{incident_id}/members/bpatel/", token=lead_token, method="DELETE",
             data={"reason": reason})
        _receive_until(lead, _event_of("member.removed", reason), timeout=5)

        heard: list[dict] = []
        deadline = time.monotonic() + 5
        with pytest.raises(ConnectionClosed):
            while time.monotonic() < deadline:
                heard.append(json.loads(member.recv(timeout=deadline - time.monotonic())))
        assert member.close_code == 4403, (member.close_code, heard)
        assert not any(reason in json.dumps(m) for m in heard), f"the removed member was told why: {heard}"

    # And the door stays shut: a new socket for bpatel is refused.
    with pytest.raises(InvalidStatus), _socket(web_b, incident_id, member_token):
        pass
