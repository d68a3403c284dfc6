"""The incident socket: `/ws/incidents/{id}/`.

Authorised in connect() through the same selector as pages and the API (the incident policy), so a
person who cannot see the incident is refused exactly as if it did not exist. Pushes are at-most-once; a client that reconnects
sends `{"type": "resync", "after": <last event id>}` (or reloads its panels) to catch up.
"""

from __future__ import annotations

import asyncio
import json
import logging

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone
from redis.exceptions import RedisError

from core import realtime
from core.actors import forget, token_of, token_works
from core.errors import Http404
from core.policy import parse_id

from . import selectors
from .now import now_digest, now_parts, now_sorted

logger = logging.getLogger(__name__)

CLOSE_ACCESS_REVOKED = realtime.CLOSE_ACCESS_REVOKED
RESYNC_LIMIT = 500
# What a channel layer that cannot be reached raises (Redis restarting, unreachable).
LAYER_DOWN = (OSError, RedisError)


class LiveSocket(AsyncJsonWebsocketConsumer):
    """What every live page's socket shares: JSON text frames only, and calm failure.

    A binary frame or text that is not JSON closes the socket cleanly (4415, 4400), logged as a warning
    without a traceback. If the channel layer cannot be reached (Redis down), the socket is accepted and
    closed at once with CLOSE_LIVE_PAUSED, so the page can say live updates are paused; it reconnects
    with backoff and, once connected, catches up on everything it missed.

    A socket opened with an API token lives no longer than the token: it closes with CLOSE_ACCESS_REVOKED
    when the token expires (a timer set when it opens) or is ended (revoked, a password change,
    deactivation: its owner's sockets are told, and one opened with that token closes), whatever the kind
    of socket, and says nothing more after.
    """

    _handshake = "pending"  # then "seen" (the client asked), then "accepted"
    _token_ended = False
    # Messages whose handlers touch no database. Channels closes stale database connections before every
    # message it dispatches, a hop to a worker thread and back; for one event pushed to hundreds of sockets
    # that was a quarter of the push's CPU. These handlers only forward what they were given, so they skip
    # it. Every handler that reads goes through database_sync_to_async, which does its own cleaning.
    database_free: frozenset[str] = frozenset({"live.heartbeat"})

    async def dispatch(self, message) -> None:
        if self._token_ended and message["type"] != "websocket.disconnect":
            return  # closed because its token ended: nothing more goes out, nothing more is read
        if message["type"] == "access.changed" and await self._token_ends_now():
            return
        if message["type"] in self.database_free:
            handler = getattr(self, get_handler_name(message), None)
            if handler is not None:
                await handler(message)
                return
        await super().dispatch(message)

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        except LAYER_DOWN as error:
            logger.warning("Live updates unavailable (%s: %s); the socket was closed and the page will catch up.",
                           type(error).__name__, error)
            realtime.forget_layer()
            await self._close_paused(receive, send)
        finally:
            self.stop_background()

    def stop_background(self) -> None:
        """Cancel what the socket runs beside its messages (its heartbeat; a subclass's own timers), however it
        ended: a closed socket, or a channel layer that failed under it."""
        for task in (getattr(self, "_heartbeat", None), getattr(self, "_token_clock", None)):
            if task is not None:
                task.cancel()

    async def _close_paused(self, receive, send) -> None:
        try:
            if self._handshake == "pending":
                await receive()  # the client's connect, not yet read when the layer failed
            if self._handshake != "accepted":
                await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": realtime.CLOSE_LIVE_PAUSED})
        except Exception as error:  # noqa: BLE001 - the client has gone: nothing left to tell it
            logger.info("Could not tell the client live updates are paused: %s", error)

    async def websocket_connect(self, message) -> None:
        self._handshake = "seen"
        await super().websocket_connect(message)

    async def accept(self, subprotocol=None, headers=None) -> None:
        await super().accept(subprotocol, headers)
        self._handshake = "accepted"
        self._heartbeat = asyncio.ensure_future(self._beat())
        token = token_of(self.scope.get("user"))
        if token is not None:
            self._token_clock = asyncio.ensure_future(self._close_at_expiry(token[1]))

    async def websocket_disconnect(self, message) -> None:
        self.stop_background()
        await super().websocket_disconnect(message)

    # A token's expiry is known when the socket opens and never moves, so a timer closes the socket then,
    # without reading the database. It wakes at least once a heartbeat interval and looks at the clock
    # again, so a wall clock set back or forward cannot keep the socket open long past the expiry.
    async def _close_at_expiry(self, expires_at) -> None:
        longest = settings.HARBOUR_LIVE_HEARTBEAT_SECONDS
        while (left := (expires_at - timezone.now()).total_seconds()) > 0:
            await asyncio.sleep(min(left, longest))
        await self._close_token_ended()

    async def _token_ends_now(self) -> bool:
        """Told that its person's access changed: if the socket was opened with a token that has ended,
        close it (True). A socket opened with a session, or with a token that works, goes on (False)."""
        token = token_of(self.scope.get("user"))
        if token is None or await database_sync_to_async(token_works)(token[0]):
            return False
        await self._close_token_ended()
        return True

    async def _close_token_ended(self) -> None:
        if not self._token_ended:
            self._token_ended = True
            await self.close(code=CLOSE_ACCESS_REVOKED)
            self.stop_background()  # its heartbeat and timers have nothing more to do (after the close is sent)

    # An open socket would not notice the channel layer going away: it would simply hear nothing, and the
    # page would miss what happened meanwhile. So it sends itself a heartbeat through the layer; when one
    # cannot be sent, or does not come back, it closes with "paused", and the page reconnects and catches
    # up once the layer is back.
    async def _beat(self) -> None:
        interval = settings.HARBOUR_LIVE_HEARTBEAT_SECONDS
        self._heard = asyncio.get_running_loop().time()
        try:
            while True:
                await asyncio.sleep(interval)
                if asyncio.get_running_loop().time() - self._heard > 3 * interval:
                    raise ConnectionError("heartbeats stopped coming back through the channel layer")
                await self.channel_layer.send(self.channel_name, {"type": "live.heartbeat"})
        except asyncio.CancelledError:
            raise
        except LAYER_DOWN as error:
            logger.warning("Live updates paused (%s: %s); the page will reconnect and catch up.",
                           type(error).__name__, error)
            realtime.forget_layer()
            await self.close(code=realtime.CLOSE_LIVE_PAUSED)

    @database_sync_to_async
    def _sees(self, incident_id: int) -> bool:
        """May the socket's person see this incident now? Asked of the policy afresh (memberships change)."""
        user = self.scope["user"]
        forget(user)
        return selectors.visible_incidents(user).filter(pk=incident_id).exists()

    async def live_heartbeat(self, message) -> None:
        self._heard = asyncio.get_running_loop().time()

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if text_data is None:
            logger.warning("Closed a socket that sent a binary frame (%s).", self.scope.get("path"))
            await self.close(code=realtime.CLOSE_NOT_TEXT)
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            logger.warning("Closed a socket that sent text that is not JSON (%s).", self.scope.get("path"))
            await self.close(code=realtime.CLOSE_UNREADABLE)
            return
        await self.receive_json(content, **kwargs)


class NoSuchSocket(AsyncWebsocketConsumer):
    """A socket opened on a path Harbour does not serve: refused at the handshake, as a page would 404."""

    channel_layer_alias = "no layer"  # needs none, so it answers even while Redis is down

    async def connect(self) -> None:
        await self.close()


class IncidentConsumer(LiveSocket):
    database_free = LiveSocket.database_free | {"timeline.event", "comms.changed", "panels.changed"}
    incident_id: int
    group: str = ""
    person_group: str = ""
    revoked = False

    async def connect(self) -> None:
        self.incident_id = self.scope["url_route"]["kwargs"]["incident_id"]
        if not await self._visible():
            await self.close()
            return
        group = realtime.incident_group(self.incident_id)
        await self.channel_layer.group_add(group, self.channel_name)
        self.group = group
        # The person's own group: deactivation or a change of organisation role re-checks access at once.
        self.person_group = realtime.user_group(self.scope["user"].pk)
        await self.channel_layer.group_add(self.person_group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.person_group:
            await self.channel_layer.group_discard(self.person_group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if self.revoked or not isinstance(content, dict) or content.get("type") != "resync":
            return
        # Re-check on every resync: access may have changed while the client was away.
        if not await self._visible():
            await self._revoke()
            return
        after = content.get("after") or 0
        after = 0 if after == 0 else parse_id(after) if isinstance(after, int | str) else None
        if after is None:
            await self.send_json({"type": "resync.refused", "detail": "Give the id of the last event you saw."})
            return
        for payload in await self._events_after(after):
            await self.send_json({"type": "timeline.event", "event": payload})
        await self.send_json({"type": "resync.done"})

    # --- group messages (from core.realtime) ---

    async def timeline_event(self, message) -> None:
        if not self.revoked:
            await self.send_json({"type": "timeline.event", "event": message["event"]})

    async def comms_changed(self, message) -> None:
        # Counts moved (someone acknowledged a briefing): pages re-fetch what they may see.
        if not self.revoked:
            await self.send_json({"type": "message.updated", "message": {"id": message["message"]}})

    async def panels_changed(self, message) -> None:
        if not self.revoked:
            await self.send_json({"type": "panels.changed", "panels": message["panels"]})

    async def access_changed(self, message) -> None:
        if not self.revoked and not await self._visible():
            await self._revoke()

    # --- helpers ---

    async def _revoke(self) -> None:
        self.revoked = True
        await self.channel_layer.group_discard(self.group, self.channel_name)
        self.group = ""
        await self.close(code=CLOSE_ACCESS_REVOKED)

    @database_sync_to_async
    def _visible(self) -> bool:
        user = self.scope.get("user")
        forget(user)  # roles, memberships and activation may have changed since the socket opened
        try:
            selectors.incident_for(user, self.incident_id)
        except Http404:
            return False
        return True

    @database_sync_to_async
    def _events_after(self, after: int) -> list[dict]:
        return [e.as_payload() for e in selectors.timeline(self.incident_id, after=after)[:RESYNC_LIMIT]]


class NowConsumer(LiveSocket):
    """The "What needs you now" socket: `/ws/me/now/`.

    It joins the Now group, its person's own group and their Now group. When a change may be on someone's list
    (`realtime.now_may_change`), the socket reads its person's list again through every wing's policy,
    a moment later so that a burst of changes costs one read, and sends `{"type": "now.changed"}` only
    when the list differs from the one the page shows: nobody hears that something changed that is not
    theirs to see. A change naming an incident the person may not see is not even read again. Things also
    fall due with nothing changing, so the list is read again every HARBOUR_NOW_RECHECK_SECONDS.

    The page gives the digest of the list it was drawn with (`?seen=`), so a change between drawing the
    page and opening the socket is told at once.

    A list is each wing's part (now.now_parts), kept between reads: a change that names the parts it
    may have changed (an approval changes only communications' part) has only those read again. A change
    that names none, a change of the person's access and the regular recheck read every part.
    """

    person_group: str = ""
    now_group: str = ""
    _digest: str = ""
    _pending: asyncio.Future | None = None
    _recheck: asyncio.Future | None = None
    _again: bool = False  # something changed while the list was being read: read it once more
    _parts: dict | None = None  # each wing's part of the list as last read
    _stale: set[str] | None = None  # the parts to read again; None: every part

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close()
            return
        self.person_group = realtime.user_group(user.pk)
        self.now_group = realtime.now_person_group(user.pk)
        for group in (self.person_group, self.now_group, realtime.NOW_GROUP):
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        seen = _query_value(self.scope, "seen")
        self._parts, self._stale = {}, None
        self._digest = await self._read()
        if seen and seen != self._digest:
            await self.send_json(realtime.now_changed_message())
        self._recheck = asyncio.ensure_future(self._every())

    def stop_background(self) -> None:
        super().stop_background()
        for task in (self._pending, self._recheck):
            if task is not None:
                task.cancel()

    async def disconnect(self, code: int) -> None:
        self.stop_background()
        for group in (self.person_group, self.now_group, realtime.NOW_GROUP):
            if group:
                await self.channel_layer.group_discard(group, self.channel_name)

    async def now_maybe(self, event) -> None:
        incident = event.get("incident")
        if incident is not None and not await self._sees(incident):
            return
        self._soon(event.get("parts"))

    async def access_changed(self, event) -> None:
        self._soon()

    def _soon(self, parts=None) -> None:
        if parts is None:
            self._stale = None
        elif self._stale is not None:
            self._stale.update(parts)
        if self._pending is None or self._pending.done():
            self._pending = asyncio.ensure_future(self._look_again())
        else:
            self._again = True  # the read under way may have begun before this change

    async def _look_again(self) -> None:
        while True:
            await asyncio.sleep(settings.HARBOUR_NOW_SETTLE_MS / 1000)
            self._again = False
            digest = await self._read()
            if digest != self._digest:
                self._digest = digest
                await self.send_json(realtime.now_changed_message())
            if not self._again:
                return

    async def _every(self) -> None:
        while True:
            await asyncio.sleep(settings.HARBOUR_NOW_RECHECK_SECONDS)
            self._soon()

    async def _read(self) -> str:
        stale, self._stale = self._stale, set()  # what changes from here on is read next time
        try:
            return await self._read_parts(stale)
        except BaseException:
            self._stale = None  # not read: the next read reads everything
            raise

    @database_sync_to_async
    def _read_parts(self, stale: set[str] | None) -> str:
        user = self.scope["user"]
        forget(user)
        at = timezone.now()
        self._parts.update(now_parts(user, at, stale))
        return now_digest(now_sorted(self._parts.values(), at))


def _query_value(scope, name: str) -> str:
    from urllib.parse import parse_qs

    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name) or [""]
    return values[0][:64]
