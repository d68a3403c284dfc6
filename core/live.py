"""What every live page's socket stands on: `LiveSocket`, the base of each app's socket consumer, and
`NoSuchSocket`, which refuses a path Harbour does not serve.

A socket takes JSON text frames only, fails calmly when the channel layer cannot be reached, and lives no
longer than the API token it was opened with (core/actors.py remembers the token). What it may see is its
app's business: each app's consumer asks its own policy.
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

from . import realtime
from .actors import token_of, token_works

logger = logging.getLogger(__name__)

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
            await self.close(code=realtime.CLOSE_ACCESS_REVOKED)
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
