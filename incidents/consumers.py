"""The incident socket: `/ws/incidents/{id}/`.

Authorised in connect() through the same selector as pages and the API (the incident policy), so a
person who cannot see the incident is refused exactly as if it did not exist. Pushes are at-most-once; a client that reconnects
sends `{"type": "resync", "after": <last event id>}` (or reloads its panels) to catch up.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from config.errors import Http404

from . import realtime, selectors
from .rules import forget

CLOSE_ACCESS_REVOKED = realtime.CLOSE_ACCESS_REVOKED
RESYNC_LIMIT = 500


class IncidentConsumer(AsyncJsonWebsocketConsumer):
    incident_id: int
    group: str = ""
    person_group: str = ""
    revoked = False

    async def connect(self) -> None:
        self.incident_id = self.scope["url_route"]["kwargs"]["incident_id"]
        if not await self._visible():
            await self.close()
            return
        self.group = realtime.incident_group(self.incident_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
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
        try:
            after = int(content.get("after") or 0)
        except (TypeError, ValueError):
            after = 0
        for payload in await self._events_after(after):
            await self.send_json({"type": "timeline.event", "event": payload})
        await self.send_json({"type": "resync.done"})

    # --- group messages (from incidents.realtime) ---

    async def timeline_event(self, message) -> None:
        if not self.revoked:
            await self.send_json({"type": "timeline.event", "event": message["event"]})

    async def comms_changed(self, message) -> None:
        # Counts moved (someone acknowledged a briefing): pages re-fetch what they may see.
        if not self.revoked:
            await self.send_json({"type": "message.updated", "message": {"id": message["message"]}})

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
