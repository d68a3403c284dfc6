"""The approvals board socket and communications events on the incident socket, through the real
ASGI application and whichever channel layer the configuration gives."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from comms import protect as comms_protect
from comms import releases as comms_releases
from comms import services
from config.asgi import application
from incidents.membership import member_add, member_remove
from tests.test_sockets import HOST, ORIGIN, connect, session_headers

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

DRAFT = {"audience": "all_staff", "subject": "Briefing", "body": "What we know."}


async def board(user) -> WebsocketCommunicator:
    headers = await database_sync_to_async(session_headers)(user)
    communicator = WebsocketCommunicator(application, "/ws/boards/approvals/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def test_board_refuses_anonymous(cast):
    communicator = WebsocketCommunicator(application, "/ws/boards/approvals/", headers=[ORIGIN, HOST])
    connected, _ = await communicator.connect(timeout=5)
    assert not connected


async def test_a_submitted_draft_reaches_the_board(cast, incident):
    cora = await board(cast.cora)
    message = await database_sync_to_async(services.message_draft)(actor=cast.alice, incident_id=incident.pk, **DRAFT)
    drafted = await cora.receive_json_from(timeout=5)
    assert drafted["type"] == "message.updated" and drafted["message"]["status"] == "draft"
    await database_sync_to_async(services.message_submit)(actor=cast.alice, message_id=message.pk)
    submitted = await cora.receive_json_from(timeout=5)
    assert submitted["message"]["id"] == message.pk and submitted["message"]["status"] == "in_review"
    assert submitted["message"]["subject"] == "Briefing"
    await cora.disconnect()


async def test_boards_only_hear_of_incidents_their_person_approves_for(cast, incident, restricted):
    # Bob is a plain member: his board never hears of this incident's messages.
    bob = await board(cast.bob)
    charlie = await board(cast.charlie)
    cora = await board(cast.cora)
    await database_sync_to_async(services.message_draft)(actor=cast.alice, incident_id=restricted.pk, **DRAFT)
    assert (await cora.receive_json_from(timeout=5))["message"]["incident"] == restricted.pk
    assert await bob.receive_nothing(timeout=0.5)
    assert await charlie.receive_nothing(timeout=0.2)
    for communicator in (bob, charlie, cora):
        await communicator.disconnect()


async def test_acknowledgement_moves_counts_without_naming_anyone(cast, incident):
    message = await database_sync_to_async(services.message_draft)(
        actor=cast.alice, incident_id=incident.pk, **DRAFT)
    await database_sync_to_async(services.message_submit)(actor=cast.alice, message_id=message.pk)
    await database_sync_to_async(services.message_approve)(actor=cast.cora, message_id=message.pk, version=1)
    await database_sync_to_async(comms_releases.message_release)(actor=cast.cora, message_id=message.pk)
    cora = await board(cast.cora)
    olive_headers = await database_sync_to_async(session_headers)(cast.olive)
    workspace, connected, _ = await connect(incident.pk, olive_headers)
    assert connected
    await database_sync_to_async(comms_releases.message_acknowledge)(actor=cast.bob, message_id=message.pk)
    update = await cora.receive_json_from(timeout=5)
    # the first read of a briefing to all staff: the count moves from none to "fewer than 5", never to 1
    assert update["message"]["acknowledged"] == {"count": None, "suppressed": True, "words": "fewer than 5"}
    assert "bob" not in str(update).lower()
    pushed = await workspace.receive_json_from(timeout=5)
    assert pushed == {"type": "message.updated", "message": {"id": message.pk}}
    # A second reader leaves it at "fewer than 5": neither socket hears of it, so nobody watching can time it.
    await database_sync_to_async(comms_releases.message_acknowledge)(actor=cast.olive, message_id=message.pk)
    assert await cora.receive_nothing(timeout=0.5) and await workspace.receive_nothing(timeout=0.2)
    await cora.disconnect()
    await workspace.disconnect()


async def test_a_board_follows_the_incidents_its_person_approves_for(cast, incident, restricted):
    """Per-incident groups: Sam's board hears nothing until he is made comms lead of the restricted
    incident, then hears its messages; once removed, nothing again. The page is told to redraw each time."""

    await database_sync_to_async(cast.sam.groups.add)(
        *await database_sync_to_async(lambda: list(cast.cora.groups.all()))())  # a comms officer too
    sam = await board(cast.sam)
    await database_sync_to_async(services.message_draft)(actor=cast.alice, incident_id=restricted.pk, **DRAFT)
    assert await sam.receive_nothing(timeout=0.5)

    layer = get_channel_layer()
    group = f"approvals.{restricted.pk}"
    from channels.layers import InMemoryChannelLayer

    follows = isinstance(layer, InMemoryChannelLayer) or None  # the in-memory layer says who is in a group

    def sam_follows() -> bool:
        return bool(layer.groups.get(group)) if follows is not None else True

    if follows is not None:
        assert group not in layer.groups or not layer.groups[group]
    await database_sync_to_async(member_add)(
        actor=cast.alice, incident_id=restricted.pk, user=cast.sam, role="member", reason="Second comms officer")
    assert (await sam.receive_json_from(timeout=5))["type"] == "board.changed"
    assert sam_follows()
    await database_sync_to_async(services.message_draft)(actor=cast.alice, incident_id=restricted.pk, **DRAFT)
    assert (await sam.receive_json_from(timeout=5))["message"]["incident"] == restricted.pk

    await database_sync_to_async(member_remove)(
        actor=cast.alice, incident_id=restricted.pk, username="sam", reason="No longer needed")
    assert (await sam.receive_json_from(timeout=5))["type"] == "board.changed"
    if follows is not None:  # left the group: the incident's events cost his socket nothing now
        assert not layer.groups.get(group)
    await database_sync_to_async(services.message_draft)(actor=cast.alice, incident_id=restricted.pk, **DRAFT)
    assert await sam.receive_nothing(timeout=0.5)
    await sam.disconnect()


async def test_an_opened_incident_is_on_its_openers_board_at_once(cast, incident):
    import datetime as dt

    from django.utils import timezone

    from incidents import services as incident_services

    alice = await board(cast.alice)
    now = timezone.now()
    opened = await database_sync_to_async(incident_services.incident_open)(
        actor=cast.alice, title="New", kind="other", severity="moderate", occurred_at=now - dt.timedelta(hours=1),
        aware_at=now - dt.timedelta(minutes=30), summary="s")
    assert (await alice.receive_json_from(timeout=5))["type"] == "board.changed"
    await database_sync_to_async(services.message_draft)(actor=cast.alice, incident_id=opened.pk, **DRAFT)
    assert (await alice.receive_json_from(timeout=5))["message"]["incident"] == opened.pk
    await alice.disconnect()


async def test_boards_redraw_when_what_a_release_waits_for_moves(cast, incident):
    """Recording that the family was told, or protecting an identifier and letting it go, changes what blocks
    every open message of the incident: its approvers' boards redraw; nobody else's hears a thing."""
    import datetime as dt

    from django.utils import timezone

    cora = await board(cast.cora)
    bob = await board(cast.bob)
    await database_sync_to_async(comms_protect.family_informed_record)(
        actor=cast.alice, incident_id=incident.pk, informed_at=timezone.now() - dt.timedelta(minutes=5),
        informed_by="Police family liaison officer")
    assert await cora.receive_json_from(timeout=5) == {"type": "board.changed"}
    identifier = await database_sync_to_async(comms_protect.identifier_add)(
        actor=cast.alice, incident_id=incident.pk, value="Riverside Primary", kind="school")
    assert await cora.receive_json_from(timeout=5) == {"type": "board.changed"}
    await database_sync_to_async(comms_protect.identifier_remove)(
        actor=cast.alice, incident_id=incident.pk, identifier_id=identifier.pk)
    assert await cora.receive_json_from(timeout=5) == {"type": "board.changed"}
    assert await bob.receive_nothing(timeout=0.5)
    await cora.disconnect()
    await bob.disconnect()
