"""The follow-ups board socket (issue 9, point 7): each socket sees only what its person may see, at the
tier they may see it, and hears when a follow-up leaves their sight; through the real ASGI application and
whichever channel layer the configuration gives."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from support import debriefing, services
from support.models import FollowUp
from tests.test_sockets import HOST, ORIGIN, session_headers

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
PATH = "/ws/boards/follow-ups/"


async def board(user) -> WebsocketCommunicator:
    headers = await database_sync_to_async(session_headers)(user)
    communicator = WebsocketCommunicator(application, PATH, headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


@database_sync_to_async
def add_bob(cast, incident):
    services.register_add(actor=cast.alice, incident_id=incident.pk, user="bob", exposure="witnessed", reason="r")
    return FollowUp.objects.order_by("due_at").first()


async def test_anonymous_is_refused(cast):
    communicator = WebsocketCommunicator(application, PATH, headers=[ORIGIN, HOST])
    connected, _ = await communicator.connect(timeout=5)
    assert not connected


async def test_each_board_hears_at_its_tier_and_nobody_else_hears(cast, incident, people):
    mike, ruth, bob = await board(people.mike), await board(people.ruth), await board(cast.bob)
    alice, charlie = await board(cast.alice), await board(cast.charlie)
    item = await add_bob(cast, incident)
    for communicator in (mike, ruth, bob):
        received = [await communicator.receive_json_from(timeout=5) for _ in range(3)]
        assert {r["type"] for r in received} == {"follow_up.updated"}
        assert {r["follow_up"]["tier"] for r in received} == {"private"}
    assert await alice.receive_nothing(timeout=0.5)  # the incident's lead sees counts, never follow-ups
    assert await charlie.receive_nothing(timeout=0.2)

    await database_sync_to_async(services.follow_up_complete)(actor=people.mike, follow_up_id=item.pk,
                                                              outcome="referred_eap", note="Private words")
    done = await ruth.receive_json_from(timeout=5)
    assert done["follow_up"]["status"] == "completed" and done["follow_up"]["note"] == "Private words"
    for communicator in (mike, ruth, bob, alice, charlie):
        await communicator.disconnect()


async def test_the_line_manager_hears_status_and_loses_a_card_that_leaves_their_sight(cast, incident, people):
    item = await add_bob(cast, incident)
    entry_id = item.affected_id
    await database_sync_to_async(services.register_choose_supporter)(actor=cast.bob, entry_id=entry_id,
                                                                     supporter="pat")
    mike = await board(people.mike)
    await database_sync_to_async(services.follow_up_reschedule)(
        actor=people.pat, follow_up_id=item.pk, due_at=item.due_at.replace(year=item.due_at.year + 1), reason="Leave")
    moved = await mike.receive_json_from(timeout=5)
    assert moved["follow_up"]["tier"] == "status" and "note" not in moved["follow_up"]
    # Bob's line manager changes: Mike no longer sees Bob's follow-ups
    await database_sync_to_async(type(cast.bob).objects.filter(pk=cast.bob.pk).update)(line_manager=None)
    await database_sync_to_async(services.follow_up_decline)(actor=cast.bob, follow_up_id=item.pk)
    assert await mike.receive_json_from(timeout=5) == {"type": "follow_up.removed", "id": item.pk}
    await mike.disconnect()


async def test_a_stranger_never_hears_a_removal(cast, incident, people):
    charlie = await board(cast.charlie)
    item = await add_bob(cast, incident)
    await database_sync_to_async(services.follow_up_decline)(actor=cast.bob, follow_up_id=item.pk)
    assert await charlie.receive_nothing(timeout=0.5)
    await charlie.disconnect()


async def test_an_answer_to_a_debrief_redraws_the_incidents_support_panels(cast, incident, people):
    """The debriefs list shows answer counts live: an answer is no timeline event (it would name who), so
    the incident's sockets are asked to redraw the panels, and each page re-reads them through the policy."""
    import datetime as dt

    from django.utils import timezone

    from tests.test_sockets import connect

    debrief = await database_sync_to_async(debriefing.debrief_schedule)(
        actor=cast.alice, incident_id=incident.pk, kind="hot", starts_at=timezone.now() + dt.timedelta(days=1),
        duration_minutes=60, location="Room 2", facilitator="tom", invitees=["bob"])
    headers = await database_sync_to_async(session_headers)(cast.alice)
    alice, connected, _ = await connect(incident.pk, headers)
    assert connected
    await database_sync_to_async(debriefing.debrief_rsvp)(actor=cast.bob, debrief_id=debrief.pk, response="accepted")
    received = await alice.receive_json_from(timeout=5)
    assert received == {"type": "panels.changed", "panels": ["debriefs", "support"]}
    await alice.disconnect()
