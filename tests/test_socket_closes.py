"""How sockets close, over a real daphne.

Channels' in-process WebsocketCommunicator passes any close code through; daphne (autobahn) sends only
1000 and 3000-4999, and answers anything else with 1011 and a traceback in its log. So every way a socket
can close is asserted here against a running server: the application's own codes (4400, 4403, 4415, 4503),
handshakes refused as an HTTP 403, and a log with no traceback in it.

The servers keep the real clock (`real_clock`): nothing here depends on the day.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from core import realtime
from tests.servers import Stack, api_request, default_mode, free_port, harbour_stack

# One test process starts the module's server once (make test: --dist loadgroup).
pytestmark = [pytest.mark.real_clock, pytest.mark.xdist_group("socket_closes")]

PASSWORD = "harbour-demo"
SOCKETS = ("/ws/incidents/{incident}/", "/ws/boards/approvals/", "/ws/boards/follow-ups/", "/ws/boards/clocks/",
           "/ws/me/now/")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with harbour_stack() as running:
        yield running


def token(base: str, username: str) -> str:
    return api_request(f"{base}/api/auth/token/", data={"username": username, "password": PASSWORD})["token"]


def open_socket(base: str, path: str, key: str | None, *, origin: str | None = None) -> ClientConnection:
    headers = {"Authorization": f"Token {key}"} if key else {}
    return connect(base.replace("http://", "ws://") + path, origin=origin or base, additional_headers=headers,
                   open_timeout=10, close_timeout=2)


def closed_with(ws: ClientConnection, timeout: float = 10) -> int:
    """Read until the server closes the socket; the code it closed with."""
    deadline = time.monotonic() + timeout
    with pytest.raises(ConnectionClosed):
        while time.monotonic() < deadline:
            ws.recv(timeout=deadline - time.monotonic())
    return ws.close_code


def ready(ws: ClientConnection) -> None:
    """A round trip proves the consumer is running (and, on the incident socket, subscribed)."""
    ws.send(json.dumps({"type": "resync", "after": 10**9}))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if json.loads(ws.recv(timeout=deadline - time.monotonic())).get("type") == "resync.done":
            return
    raise AssertionError("no resync.done")


def refused(base: str, path: str, key: str | None, **kwargs) -> int:
    """The HTTP status a refused handshake was answered with."""
    with pytest.raises(InvalidStatus) as refusal, open_socket(base, path, key, **kwargs):
        pass
    return refusal.value.response.status_code


def no_tracebacks(stack: Stack) -> None:
    logs = stack.logs()
    assert "Traceback" not in logs and "1011" not in logs, logs


def led_by(base: str, key: str, username: str) -> int:
    led = [i["id"] for i in api_request(f"{base}/api/incidents/", token=key)["results"] if i["lead"] == username]
    assert led
    return led[0]


def test_frames_a_socket_cannot_read_close_it_with_the_applications_own_codes(stack: Stack):
    base = stack.url
    key = token(base, "dhughes")
    incident = led_by(base, key, "dhughes")
    for template in SOCKETS:
        path = template.format(incident=incident)
        for frame, code in ((b"\x00\x01", realtime.CLOSE_NOT_TEXT), ("not json", realtime.CLOSE_UNREADABLE),
                            ("[" * 5000, realtime.CLOSE_UNREADABLE)):
            with open_socket(base, path, key) as ws:
                ws.send(frame)
                assert closed_with(ws) == code, (path, frame[:10])
    no_tracebacks(stack)


def test_frames_it_can_read_but_does_not_expect_leave_it_open(stack: Stack):
    base = stack.url
    key = token(base, "dhughes")
    incident = led_by(base, key, "dhughes")
    with open_socket(base, f"/ws/incidents/{incident}/", key) as ws:
        for frame in ("[]", "42", '"resync"', '{"type": "nonsense"}', '{"type": null}', "{}"):
            ws.send(frame)
        ready(ws)  # still open, and still answering
    no_tracebacks(stack)


def test_a_handshake_harbour_refuses_is_an_http_403_whatever_the_reason(stack: Stack):
    base = stack.url
    lead, outsider = token(base, "dhughes"), token(base, "hsingh")
    restricted = led_by(base, lead, "dhughes")
    statuses = {
        "no such path": refused(base, "/ws/nothing/", lead),
        "not a number": refused(base, "/ws/incidents/abc/", lead),
        "hidden incident": refused(base, f"/ws/incidents/{restricted}/", outsider),
        "absent incident": refused(base, "/ws/incidents/999999/", outsider),
        "not signed in": refused(base, f"/ws/incidents/{restricted}/", None),
        "board, not signed in": refused(base, "/ws/me/now/", None),
        "another origin": refused(base, f"/ws/incidents/{restricted}/", lead, origin="http://evil.example"),
    }
    assert set(statuses.values()) == {403}, statuses
    no_tracebacks(stack)


def test_a_member_removed_is_closed_with_4403_and_cannot_come_back(stack: Stack):
    base = stack.url
    lead, member = token(base, "mokafor"), token(base, "hsingh")
    now = dt.datetime.now(dt.UTC)
    opened = api_request(f"{base}/api/incidents/", token=lead, data={
        "title": f"Closing test {secrets.token_hex(3)}", "kind": "staff_assault", "severity": "major",
        "occurred_at": (now - dt.timedelta(hours=2)).isoformat(), "aware_at": now.isoformat(),
        "summary": "For the socket test."})
    incident = opened["id"]
    api_request(f"{base}/api/incidents/{incident}/members/", token=lead,
                data={"user": "hsingh", "role": "member", "reason": "Needs to know"})
    path = f"/ws/incidents/{incident}/"
    with open_socket(base, path, member) as ws:
        ready(ws)
        api_request(f"{base}/api/incidents/{incident}/members/hsingh/", token=lead, method="DELETE",
                    data={"reason": "No longer involved"})
        assert closed_with(ws) == realtime.CLOSE_ACCESS_REVOKED
    assert refused(base, path, member) == 403
    no_tracebacks(stack)


def test_a_token_revoked_closes_every_socket_opened_with_it_with_4403(stack: Stack):
    base = stack.url
    name = f"Revoked under its sockets {secrets.token_hex(3)}"
    key = api_request(f"{base}/api/auth/token/", data={"username": "dhughes", "password": PASSWORD,
                                                       "name": name})["token"]
    other = token(base, "dhughes")  # the person's other token works on
    incident = led_by(base, key, "dhughes")
    paths = [template.format(incident=incident) for template in SOCKETS]
    with contextlib.ExitStack() as sockets:
        opened = [sockets.enter_context(open_socket(base, path, key)) for path in paths]
        kept = sockets.enter_context(open_socket(base, paths[0], other))
        ready(opened[0])
        ready(kept)
        made = next(t for t in api_request(f"{base}/api/me/tokens/", token=key) if t["name"] == name)
        api_request(f"{base}/api/me/tokens/{made['id']}/revoke/", token=other, data={})
        for path, ws in zip(paths, opened, strict=True):
            assert closed_with(ws) == realtime.CLOSE_ACCESS_REVOKED, path
        ready(kept)
    assert refused(base, paths[0], key) == 403
    no_tracebacks(stack)


# --- Redis going away under a real daphne ---------------------------------------------------------------


def _start_redis(port: int, workdir) -> subprocess.Popen:
    process = subprocess.Popen(  # noqa: S603
        [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
         "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server (make test installs it)")
@pytest.mark.skipif(default_mode() == "production", reason="starts an embedded server and a Redis of its own: "
                    "runs in the embedded step")
def test_live_updates_pause_with_4503_when_redis_goes_away(tmp_path):
    port = free_port()
    redis = _start_redis(port, tmp_path)
    try:
        with harbour_stack("embedded", extra_env={"REDIS_URL": f"redis://127.0.0.1:{port}/0",
                                                  "HARBOUR_LIVE_HEARTBEAT_SECONDS": "1"}) as stack:
            base = stack.url
            key = token(base, "dhughes")
            incident = led_by(base, key, "dhughes")
            with open_socket(base, f"/ws/incidents/{incident}/", key) as before:
                ready(before)
                redis.terminate()
                redis.wait(timeout=10)
                # The open socket notices by itself and says "paused"; the page reconnects and catches up.
                assert closed_with(before, timeout=15) == realtime.CLOSE_LIVE_PAUSED
            for template in SOCKETS:
                # Accepted, then closed at once with "paused", so the page can say so: not a refusal.
                with open_socket(base, template.format(incident=incident), key) as during:
                    assert closed_with(during) == realtime.CLOSE_LIVE_PAUSED, template
            redis = _start_redis(port, tmp_path)
            deadline = time.monotonic() + 15
            while True:  # back by itself once Redis is
                try:
                    with open_socket(base, f"/ws/incidents/{incident}/", key) as after:
                        ready(after)
                        break
                except (ConnectionClosed, InvalidStatus):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
            # Harbour says calmly that live updates paused; no traceback of its own, and never a 1011.
            logs = "\n".join(child.log_text() for child in stack.web)
            assert "1011" not in logs and "invalid close code" not in logs, logs
    finally:
        redis.terminate()
        redis.wait(timeout=10)
