"""Bad input is a clear 400 or a clean close, never a server error or a traceback in the log; what a
signed-in person sees is not cached; sockets open only from Harbour's own origin; live updates pause
calmly while Redis is down and come back by themselves."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import subprocess
import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from rest_framework.test import APIClient

from config.asgi import application
from tests.test_sockets import session_headers


def _no_tracebacks(caplog, *, ignore: tuple[str, ...] = ()) -> None:
    noisy = [r for r in caplog.records if r.exc_info and not r.name.startswith(ignore)]
    assert not noisy, [f"{r.name}: {r.getMessage()}" for r in noisy]


# --- HTTP ---------------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/incidents/1/members/%00/", "/api/incidents/?status=%00",
                                 "/incidents/1/members/%00/", "/media/%00/"])
def test_a_null_byte_in_the_address_is_a_400(cast, incident, url, caplog):
    client = APIClient()
    client.force_login(cast.alice)
    for method in ("get", "patch", "delete"):
        response = getattr(client, method)(url)
        assert response.status_code == 400, (method, url, response.status_code)
    _no_tracebacks(caplog)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/auth/token/", "/api/incidents/"])
def test_json_nested_a_thousand_deep_is_a_400(cast, url, caplog):
    client = APIClient()
    client.force_login(cast.alice)
    body = "[" * 1000 + "]" * 1000
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400 and "nested" in response.json()["detail"]
    deeper = '{"a":' * 100_000 + "1" + "}" * 100_000
    assert client.post(url, deeper, content_type="application/json").status_code == 400
    _no_tracebacks(caplog)


@pytest.mark.django_db
def test_a_null_character_in_json_text_is_a_field_error(cast, incident):
    client = APIClient()
    client.force_authenticate(cast.alice)
    response = client.post(f"/api/incidents/{incident.pk}/decisions/", {"decision": "a\x00b", "rationale": "r"},
                           format="json")
    assert response.status_code == 400 and "decision" in response.json()


@pytest.mark.django_db
def test_signed_in_pages_and_the_api_are_not_stored(cast, incident):
    client = Client()
    client.force_login(cast.bob)
    for url in ("/", f"/incidents/{incident.pk}/", f"/api/incidents/{incident.pk}/", "/inbox/"):
        assert "no-store" in client.get(url)["Cache-Control"], url
    assert "no-store" in APIClient().get("/api/incidents/")["Cache-Control"]  # even a refusal


@pytest.mark.django_db
def test_the_schema_and_docs_are_for_signed_in_staff(cast):
    anonymous = Client()
    assert anonymous.get("/api/schema/").status_code in (401, 403)
    for url in ("/api/docs/", "/api/redoc/"):
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    token_client = APIClient()
    token_client.force_authenticate(cast.bob)
    assert token_client.get("/api/schema/").status_code == 200


# --- sockets --------------------------------------------------------------------------------------------

async def _open(path: str, headers) -> tuple[WebsocketCommunicator, bool]:
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    return communicator, connected


async def _closed_with(communicator, timeout: float = 5) -> int:
    output = await communicator.receive_output(timeout=timeout)
    assert output["type"] == "websocket.close", output
    return output.get("code", 1000)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["incident", "/ws/boards/approvals/"])
async def test_sockets_close_cleanly_on_frames_they_cannot_read(cast, incident, path, caplog):
    caplog.set_level(logging.INFO)
    headers = await database_sync_to_async(session_headers)(cast.bob)
    path = f"/ws/incidents/{incident.pk}/" if path == "incident" else path
    for frame, code in (({"text_data": "not json"}, 4400), ({"bytes_data": b"\x00\x01"}, 4415),
                        ({"text_data": "[" * 5000}, 4400)):
        communicator, connected = await _open(path, headers)
        assert connected
        await communicator.send_to(**frame)
        assert await _closed_with(communicator) == code
        await communicator.wait()
    _no_tracebacks(caplog)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_resync_from_an_impossible_id_is_refused_plainly(cast, incident, caplog):
    headers = await database_sync_to_async(session_headers)(cast.bob)
    communicator, connected = await _open(f"/ws/incidents/{incident.pk}/", headers)
    assert connected
    for after in ("1e400", '"abc"', "-5", "[1]", "1e3"):
        await communicator.send_to(text_data=f'{{"type": "resync", "after": {after}}}')
        reply = await communicator.receive_json_from(timeout=5)
        assert reply["type"] == "resync.refused", (after, reply)
    await communicator.send_to(text_data='{"type": "resync", "after": 0}')
    while (await communicator.receive_json_from(timeout=5))["type"] != "resync.done":
        pass
    await communicator.disconnect()
    _no_tracebacks(caplog)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_socket_on_a_path_harbour_does_not_serve_is_refused(cast, caplog):
    headers = await database_sync_to_async(session_headers)(cast.bob)
    for path in ("/ws/nothing/", "/ws/incidents/abc/", "/nowhere"):
        communicator, connected = await _open(path, headers)
        assert not connected, path
    _no_tracebacks(caplog)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("origin, host, forwarded, accepted", [
    ("http://127.0.0.1:8000", "127.0.0.1:8000", None, True),
    ("http://127.0.0.1:8001", "127.0.0.1:8000", None, False),  # another port
    ("https://127.0.0.1:8000", "127.0.0.1:8000", None, False),  # another scheme
    ("https://localhost", "localhost", "https", True),  # behind a TLS proxy Django is told about
    ("http://localhost", "localhost", "https", False),
    ("http://[::1]:8000", "[::1]:8000", None, True),  # IPv6
    ("http://localhost:80", "localhost", None, True),  # a default port, said or not
    ("http://evil.example", "127.0.0.1", None, False),
    ("https://harbour.example.gov.uk", "127.0.0.1", None, True),  # a trusted origin
])
async def test_the_socket_origin_must_match_scheme_host_and_port(cast, incident, settings, origin, host,
                                                                 forwarded, accepted):
    settings.CSRF_TRUSTED_ORIGINS = ["https://harbour.example.gov.uk"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    headers = [h for h in await database_sync_to_async(session_headers)(cast.bob) if h[0] not in (b"origin", b"host")]
    headers += [(b"origin", origin.encode()), (b"host", host.encode())]
    if forwarded:
        headers.append((b"x-forwarded-proto", forwarded.encode()))
    communicator, connected = await _open(f"/ws/incidents/{incident.pk}/", headers)
    assert connected is accepted
    if connected:
        await communicator.disconnect()


# --- Redis down, and back -------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_redis(port: int, workdir) -> subprocess.Popen:
    process = subprocess.Popen(  # noqa: S603
        [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server (make test installs it)")
async def test_live_updates_pause_while_redis_is_down_and_come_back(cast, incident, settings, tmp_path, caplog):
    from incidents import services

    port = _free_port()
    redis = _start_redis(port, tmp_path)
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                                           "CONFIG": {"hosts": [f"redis://127.0.0.1:{port}/0"], "prefix": "t"}}}
    settings.HARBOUR_LIVE_HEARTBEAT_SECONDS = 1
    headers = await database_sync_to_async(session_headers)(cast.bob)
    path = f"/ws/incidents/{incident.pk}/"
    try:
        open_before, connected = await _open(path, headers)
        assert connected

        redis.terminate()
        redis.wait(timeout=10)
        # the socket that was open notices by itself, and closes with "paused": the page then reconnects
        assert await _closed_with(open_before, timeout=10) == 4503
        for socket_path in (path, "/ws/boards/approvals/"):
            down, connected = await _open(socket_path, headers)
            # accepted, then closed at once with "paused", so the page can say so: not an HTTP 500
            assert connected and await _closed_with(down) == 4503
        # an action still succeeds while live updates are down
        await database_sync_to_async(services.decision_record)(
            actor=cast.bob, incident_id=incident.pk, decision="While Redis was down", rationale="r")

        redis = _start_redis(port, tmp_path)
        back, connected = await _open(path, headers)
        assert connected
        await back.send_to(text_data=json.dumps({"type": "resync", "after": 0}))
        seen = []
        while (event := await back.receive_json_from(timeout=5))["type"] != "resync.done":
            seen.append(event["event"]["summary"])
        assert any("While Redis was down" in summary for summary in seen)  # it caught up
        await database_sync_to_async(services.decision_record)(
            actor=cast.bob, incident_id=incident.pk, decision="After it came back", rationale="r")
        pushed = await back.receive_json_from(timeout=5)
        assert "After it came back" in pushed["event"]["summary"]  # and live again by itself
        await back.disconnect()
    finally:
        redis.terminate()
        redis.wait(timeout=10)
    # Harbour logs the outage calmly; channels_redis reports, with its own traceback, the channels it could
    # not unsubscribe while Redis was away, which is its business.
    _no_tracebacks(caplog, ignore=("channels_redis",))


# --- the API says what it does, and takes values at their word ------------------------------------------

@pytest.mark.django_db
def test_values_that_are_not_what_they_claim_are_refused_not_coerced(cast, incident):
    client = APIClient()
    client.force_authenticate(cast.alice)
    url = f"/api/incidents/{incident.pk}/"
    for body, field in (({"restricted": "yes"}, "restricted"), ({"restricted": 1}, "restricted"),
                        ({"title": 5}, "title"), ({"occurred_at": "1899-12-31T23:00:00Z"}, "occurred_at"),
                        ({"aware_at": "2101-01-01T00:00:00Z"}, "aware_at")):
        response = client.patch(url, body, format="json")
        assert response.status_code == 400 and field in response.json(), (body, response.content)
    family = client.post(f"/api/incidents/{incident.pk}/family-informed/",
                         {"informed_at": "2026-01-01T10:00:00Z", "informed_by": "Police", "note": 0}, format="json")
    assert family.status_code == 400 and "note" in family.json()
    approve = client.post("/api/messages/1/approve/", {"version": "1"}, format="json")
    assert approve.status_code == 400 and "version" in approve.json()
    incident.refresh_from_db()
    assert incident.restricted is False and incident.title != "5"


def test_every_operation_documents_its_errors():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert {"400", "403"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in ("post", "patch", "delete"):
                assert "409" in codes, (method, path)
    templates = schema["paths"]["/api/incidents/{incident_id}/holding-templates/"]["get"]["responses"]["200"]
    assert templates["content"]["application/json"]["schema"]["type"] == "array"


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_forwarded_scheme_is_believed_only_when_django_is_told_about_the_proxy(cast, incident, settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    headers = [h for h in await database_sync_to_async(session_headers)(cast.bob) if h[0] not in (b"origin", b"host")]
    headers += [(b"origin", b"https://localhost"), (b"host", b"localhost"), (b"x-forwarded-proto", b"https")]
    communicator, connected = await _open(f"/ws/incidents/{incident.pk}/", headers)
    assert not connected


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_healthy_socket_stays_open_across_heartbeats(cast, incident, settings):
    import asyncio

    settings.HARBOUR_LIVE_HEARTBEAT_SECONDS = 0.2
    headers = await database_sync_to_async(session_headers)(cast.bob)
    communicator, connected = await _open(f"/ws/incidents/{incident.pk}/", headers)
    assert connected
    await asyncio.sleep(1.5)  # seven heartbeats
    assert await communicator.receive_nothing(timeout=0.2)  # not closed, and nothing sent to the page
    await communicator.disconnect()
