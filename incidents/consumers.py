"""The spine's sockets: the incident socket, `/ws/incidents/{id}/`, and the "What needs you now" socket,
`/ws/me/now/`. Both stand on core.live.LiveSocket, as every wing's socket does.

The incident socket is authorised in connect() through the same selector as pages and the API (the
incident policy), so a person who cannot see the incident is refused exactly as if it did not exist.
Pushes are at-most-once; a client that reconnects sends `{"type": "resync", "after": <last event id>}`
(or reloads its panels) to catch up.
"""

from __future__ import annotations

import asyncio

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import timezone

from core import realtime
from core.actors import forget
from core.errors import Http404
from core.live import LiveSocket
from core.policy import parse_id

from . import selectors
from .now import now_digest, now_parts, now_sorted

CLOSE_ACCESS_REVOKED = realtime.CLOSE_ACCESS_REVOKED
RESYNC_LIMIT = 500
# May a socket's person see this incident now (its policy asked afresh)? For a socket told of a change to
# one incident, before it says anything of it (the Now socket, the Clocks board).
sees_incident = database_sync_to_async(selectors.sees_incident_now)


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
        if incident is not None and not await sees_incident(self.scope["user"], incident):
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
