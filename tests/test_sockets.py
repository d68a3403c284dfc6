"""The incident socket through the real ASGI application (origin check, session and token auth,
routing, consumer), on whichever channel layer the configuration gives: in memory, or real Redis."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from incidents import services
from incidents.membership import member_add, member_remove
from tests.factories import make_token

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://127.0.0.1")
HOST = (b"host", b"127.0.0.1")


def session_headers(user) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    return [ORIGIN, HOST, (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


async def connect(incident_id: int, headers) -> tuple[WebsocketCommunicator, bool, int | None]:
    communicator = WebsocketCommunicator(application, f"/ws/incidents/{incident_id}/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def next_event(communicator, timeout: float = 5) -> dict:
    return await communicator.receive_json_from(timeout=timeout)


async def test_refused_without_login(cast, incident):
    communicator, connected, _ = await connect(incident.pk, [ORIGIN, HOST])
    assert not connected


async def test_refused_from_another_origin(cast, incident):
    headers = [h for h in await database_sync_to_async(session_headers)(cast.bob) if h[0] != b"origin"]
    communicator, connected, _ = await connect(incident.pk, [*headers, (b"origin", b"https://evil.example")])
    assert not connected


async def test_outsiders_are_refused_as_if_the_incident_did_not_exist(cast, incident, restricted):
    charlie = await database_sync_to_async(session_headers)(cast.charlie)
    sam = await database_sync_to_async(session_headers)(cast.sam)
    for incident_id, headers in ((incident.pk, charlie), (restricted.pk, sam), (999999, sam)):
        communicator, connected, _ = await connect(incident_id, headers)
        assert not connected


async def test_member_receives_timeline_events(cast, incident):
    headers = await database_sync_to_async(session_headers)(cast.bob)
    communicator, connected, _ = await connect(incident.pk, headers)
    assert connected
    await database_sync_to_async(services.decision_record)(
        actor=cast.alice, incident_id=incident.pk, decision="Brief staff at noon", rationale="Before the press"
    )
    message = await next_event(communicator)
    assert message["type"] == "timeline.event"
    event = message["event"]
    assert event["type"] == "decision.recorded" and event["actor"] == "alice"
    assert set(event) >= {"id", "at", "actor", "type", "summary"}
    await communicator.disconnect()


async def test_senior_leader_reads_unrestricted_incident_live(cast, incident):
    headers = await database_sync_to_async(session_headers)(cast.sam)
    communicator, connected, _ = await connect(incident.pk, headers)
    assert connected
    await database_sync_to_async(services.incident_transition)(
        actor=cast.alice, incident_id=incident.pk, status="stabilising", reason="Calmer"
    )
    assert (await next_event(communicator))["event"]["type"] == "incident.status_changed"
    # and loses it the moment the incident is restricted
    await database_sync_to_async(services.incident_update)(
        actor=cast.alice, incident_id=incident.pk, changes={"restricted": True}
    )
    # closed before the new details are sent: nothing about the now-restricted incident reaches Sam
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}


async def test_removed_member_is_closed_with_4403_and_hears_nothing_more(cast, incident):
    headers = await database_sync_to_async(session_headers)(cast.bob)
    communicator, connected, _ = await connect(incident.pk, headers)
    assert connected
    await database_sync_to_async(member_remove)(
        actor=cast.alice, incident_id=incident.pk, username="bob", reason="Off the case"
    )
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}
    await database_sync_to_async(services.decision_record)(
        actor=cast.alice, incident_id=incident.pk, decision="Secret", rationale="r"
    )
    assert await communicator.receive_nothing(timeout=0.5)


async def test_deactivating_someone_closes_their_sockets(cast, incident):
    from incidents.membership import person_access_changed

    headers = await database_sync_to_async(session_headers)(cast.sam)
    communicator, connected, _ = await connect(incident.pk, headers)
    assert connected

    def deactivate_sam():
        cast.sam.is_active = False
        cast.sam.save()
        person_access_changed(person=cast.sam)  # what the admin and the staff import call

    await database_sync_to_async(deactivate_sam)()
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}
    await communicator.wait()


async def test_other_members_stay_connected_when_someone_is_removed(cast, incident):
    headers = await database_sync_to_async(session_headers)(cast.olive)
    communicator, connected, _ = await connect(incident.pk, headers)
    await database_sync_to_async(member_remove)(
        actor=cast.alice, incident_id=incident.pk, username="bob", reason="Off the case"
    )
    assert (await next_event(communicator))["event"]["type"] == "member.removed"
    await communicator.disconnect()


async def test_token_authentication(cast, incident):
    token = await database_sync_to_async(make_token)(cast.tom)
    communicator, connected, _ = await connect(incident.pk, [ORIGIN, HOST, (b"authorization", f"Token {token}".encode())])
    assert connected
    await communicator.disconnect()
    bad, connected, _ = await connect(incident.pk, [ORIGIN, HOST, (b"authorization", b"Token nonsense")])
    assert not connected


async def test_resync_sends_what_was_missed(cast, incident):
    headers = await database_sync_to_async(session_headers)(cast.bob)
    latest = await database_sync_to_async(lambda: incident.timeline.order_by("-id").first().pk)()
    await database_sync_to_async(services.decision_record)(
        actor=cast.alice, incident_id=incident.pk, decision="While you were away", rationale="r"
    )
    communicator, connected, _ = await connect(incident.pk, headers)
    await communicator.send_json_to({"type": "resync", "after": latest})
    missed = await next_event(communicator)
    assert missed["event"]["type"] == "decision.recorded"
    assert await next_event(communicator) == {"type": "resync.done"}
    await communicator.disconnect()


async def test_events_reach_every_open_socket(cast, incident):
    sockets = []
    for user in (cast.alice, cast.bob, cast.olive):
        headers = await database_sync_to_async(session_headers)(user)
        communicator, connected, _ = await connect(incident.pk, headers)
        assert connected
        sockets.append(communicator)
    await database_sync_to_async(member_add)(
        actor=cast.alice, incident_id=incident.pk, user="charlie", role="member", reason="Duty"
    )
    received = await asyncio.gather(*(next_event(s) for s in sockets))
    assert {m["event"]["type"] for m in received} == {"member.added"}
    for communicator in sockets:
        await communicator.disconnect()


async def test_pushes_skip_the_database_cleanup_that_reads_need(cast, incident, monkeypatch):
    """A pushed event is forwarded without Channels' per-message hop to close stale connections (issue 8:
    a quarter of a push's CPU); messages whose handlers read still get it."""
    import channels.consumer

    from core import realtime

    cleanups = []
    real = channels.consumer.aclose_old_connections

    async def counted():
        cleanups.append(1)
        await real()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    headers = await database_sync_to_async(session_headers)(cast.bob)
    communicator, connected, _ = await connect(incident.pk, headers)
    assert connected
    before = len(cleanups)
    layer = realtime.get_channel_layer()
    for n in range(3):
        await layer.group_send(realtime.incident_group(incident.pk),
                               realtime.timeline_event_message({"id": n, "summary": "pushed"}))
        assert (await next_event(communicator))["event"]["summary"] == "pushed"
    await layer.group_send(realtime.incident_group(incident.pk), realtime.comms_changed_message(7))
    assert (await next_event(communicator))["type"] == "message.updated"
    assert len(cleanups) == before
    await communicator.send_json_to({"type": "resync", "after": 0})  # reads: cleaned up as before
    while (await next_event(communicator))["type"] != "resync.done":
        pass
    assert len(cleanups) == before + 1
    await communicator.disconnect()
