"""The only module that touches the channel layer.

Services call `broadcast_on_commit`; nothing is sent unless the transaction commits, and a channel layer
that is down (Redis restarting) never fails the person's action: the send is logged and dropped, and
clients resync from the database when they reconnect. Delivery is at-most-once by design.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Close codes. 4000-4999 are the application's own (RFC 6455 §7.4.2), read like the HTTP status they echo.
# They are the only codes a socket closes with apart from 1000: daphne (autobahn) refuses to send any other
# (1003 or 1007 raise in the server, which then closes with 1011 and logs a traceback). README lists them.
CLOSE_UNREADABLE = 4400  # the frame was text but not JSON (or JSON nested too deep to read)
CLOSE_ACCESS_REVOKED = 4403  # you no longer have access: do not reconnect
CLOSE_NOT_TEXT = 4415  # a binary frame: sockets take JSON text frames only
CLOSE_LIVE_PAUSED = 4503  # live updates are paused (the channel layer cannot be reached): reconnect later

# Which parts of a live page redraw when an event of each type arrives (sent to live.js as data, so the
# script names no event type itself). Every event also redraws the timeline and the history.
_PANELS_FOR_EVENT: dict[str, tuple[str, ...]] = {}
ALWAYS = ("timeline", "history")


def redraw_on(event_types, *panels: str) -> None:
    """Each wing says, from its AppConfig, which panels its events change."""
    for event_type in event_types:
        _PANELS_FOR_EVENT[str(event_type)] = (*ALWAYS, *panels)


# Events that never change what waits on anyone (a draft begun, a decision with nothing to review): their
# incident's Now pages are not asked to read their lists again. `unless` names the events of such a type
# that do (a decision that sets a review time, or corrects or reviews another). Every other event asks.
_NOW_QUIET: dict[str, Callable[[dict[str, Any]], bool] | None] = {}


def now_quiet(event_types, unless: Callable[[dict[str, Any]], bool] | None = None) -> None:
    """Each wing says, from its AppConfig, which of its events leave every Now list as it was."""
    for event_type in event_types:
        _NOW_QUIET[str(event_type)] = unless


def may_change_now(event_type: str, data: dict[str, Any]) -> bool:
    if str(event_type) not in _NOW_QUIET:
        return True
    unless = _NOW_QUIET[str(event_type)]
    return bool(unless and unless(data))


# Which wings' parts of a Now list an event may change (incidents.now.now_parts): a Now page reads
# only those again and keeps the rest. An event named nowhere may change any part (membership and the
# incident's own details change what every wing shows).
_NOW_PARTS_FOR_EVENT: dict[str, tuple[str, ...]] = {}


def now_on(event_types, *wings: str) -> None:
    """Each wing says, from its AppConfig, which parts of Now its events change (usually its own)."""
    for event_type in event_types:
        _NOW_PARTS_FOR_EVENT[str(event_type)] = wings


def now_parts_for(event_type: str) -> tuple[str, ...] | None:
    return _NOW_PARTS_FOR_EVENT.get(str(event_type))


def live_config() -> dict[str, Any]:
    return {"panels": _PANELS_FOR_EVENT, "always": ALWAYS, "revoked": CLOSE_ACCESS_REVOKED,
            "paused": CLOSE_LIVE_PAUSED}


def incident_group(incident_id: int) -> str:
    return f"incident.{incident_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def now_person_group(user_id: int) -> str:
    """One person's Now pages only: the other sockets in their user group have no use for a Now nudge."""
    return f"now.{user_id}"


def send_now(group: str, message: dict[str, Any], *also: tuple[str, dict[str, Any]]) -> None:
    """Send to the group (and to any others given with it, in one hop to the event loop)."""
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> None:
        for to, what in ((group, message), *also):
            await layer.group_send(to, what)

    try:
        async_to_sync(send_all)()
    except Exception as error:  # noqa: BLE001 - a broken layer must never undo or fail a committed change
        logger.warning("Live update to %s not sent (channel layer unavailable: %s: %s); clients will resync.",
                       group, type(error).__name__, error)
        if isinstance(error, OSError | RedisError):
            forget_layer()


def forget_layer() -> None:
    """After the channel layer failed (Redis went away), make the next user connect afresh: a layer's
    connections that saw the outage are not trusted to recover by themselves."""
    from channels import DEFAULT_CHANNEL_LAYER
    from channels.layers import InMemoryChannelLayer, channel_layers

    layer = channel_layers.backends.get(DEFAULT_CHANNEL_LAYER)
    # The in-memory layer holds the groups themselves: dropping it would cut every open socket off.
    if layer is None or isinstance(layer, InMemoryChannelLayer):
        return
    channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
    # Stop the dropped layer's own background tasks (its listeners poll for ever otherwise).
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        loop.create_task(_retire(layer))
    else:
        async_to_sync(_retire)(layer)


async def _retire(layer) -> None:
    try:
        await layer.flush()
    except Exception as error:  # noqa: BLE001 - it is already broken; nothing more to do with it
        logger.info("A dropped channel layer could not be flushed: %s", error)


def broadcast_on_commit(group: str, message: dict[str, Any], *also: tuple[str, dict[str, Any]]) -> None:
    transaction.on_commit(lambda: send_now(group, message, *also))


def timeline_event_message(event_payload: dict[str, Any]) -> dict[str, Any]:
    # Channels routes on "type": "timeline.event" is handled by consumers' timeline_event().
    return {"type": "timeline.event", "event": event_payload}


def access_changed_message(incident_id: int) -> dict[str, Any]:
    """Tells every socket on the incident to re-check that its person may still see it."""
    return {"type": "access.changed", "incident": incident_id}


def approvals_group(incident_id: int) -> str:
    """The approvals-board sockets of the people who approve for this incident. A board joins one group
    per incident it may see, so an event costs nothing on the boards of everyone else."""
    return f"approvals.{incident_id}"


def message_changed_message(message_id: int, incident_id: int) -> dict[str, Any]:
    # Ids only: each consumer fetches the message through the policy for its own person.
    return {"type": "message.changed", "message": message_id, "incident": incident_id}


def board_changed_message(incident_id: int) -> dict[str, Any]:
    """Something every open message of the incident waits on changed (the family was told, an identifier
    was protected or let go): approvals boards redraw, each through its own person's policy."""
    return {"type": "board.changed", "incident": incident_id}


def panels_changed_message(*panels: str) -> dict[str, Any]:
    """Something a wing shows on an incident's pages changed without a timeline event (an answer to an
    invitation, say): the pages re-fetch those panels, each through its own policy. Names no object."""
    return {"type": "panels.changed", "panels": list(panels)}


def comms_changed_message(message_id: int) -> dict[str, Any]:
    """Counts moved (someone acknowledged a briefing): pages re-fetch what they may see."""
    return {"type": "comms.changed", "message": message_id}


# Every Clocks board's socket; each asks the policy before it passes anything on (clocks/consumers.py).
CLOCKS_GROUP = "clocks"


def clocks_changed_message(incident_id: int) -> dict[str, Any]:
    """To the Clocks boards: this incident's obligations changed. Each socket asks the policy whether its
    person may see the incident before it says anything (clocks/consumers.py)."""
    return {"type": "clocks.changed", "incident": incident_id}


# Every "What needs you now" socket. A change that may be on someone's list says so here, naming its
# incident when it has one; each socket reads its own person's list again through the policies and tells
# its page only when that list is no longer what the page shows (incidents/consumers.py NowConsumer).
NOW_GROUP = "now"


def now_may_change(incident_id: int | None = None, *, person_id: int | None = None,
                   parts: tuple[str, ...] | None = None) -> None:
    """After commit: something that may wait on someone changed. With an incident, only people who may see
    it look again; with a person, only they do; with neither (a briefing delivered to all staff, a check-in
    moved), every open Now page does. With `parts`, they read only those wings' parts again."""
    broadcast_on_commit(*now_maybe(incident_id, person_id=person_id, parts=parts))


def now_maybe(incident_id: int | None = None, *, person_id: int | None = None,
              parts: tuple[str, ...] | None = None) -> tuple[str, dict[str, Any]]:
    """The group and message of `now_may_change`, to send along with another broadcast in one hop; with
    `parts`, only those wings' parts of a list may have changed."""
    message: dict[str, Any] = {"type": "now.maybe", "incident": incident_id}
    if parts is not None:
        message["parts"] = list(parts)
    return (now_person_group(person_id) if person_id is not None else NOW_GROUP, message)


def now_changed_message() -> dict[str, Any]:
    """To a Now page: your list changed; fetch it again. Says nothing of what."""
    return {"type": "now.changed"}
