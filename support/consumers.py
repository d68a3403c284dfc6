"""The follow-ups board socket: `/ws/boards/follow-ups/`.

Every board joins one group (support.services.FOLLOW_UPS_GROUP). Events carry only a follow-up's id;
each socket reads it again through the policy for its own person and sends it at the tier that person
may see (`follow_up.updated`, in the shape `GET /api/follow-ups/{id}/` gives them), or, if it has left
their sight, `follow_up.removed` — only for ids this socket has shown, so nobody learns that a follow-up
they never saw exists. The person's own group tells it when their roles or account change.
"""

from __future__ import annotations

from channels.db import database_sync_to_async

from core import realtime
from core.actors import forget
from core.live import LiveSocket

from . import selectors
from .models import FollowUp
from .policy import FollowUpAction, follow_ups
from .serializers import follow_up_payload
from .services import FOLLOW_UPS_GROUP

SEEN_LIMIT = 2000  # a board shows at most a few hundred; a socket remembers this many ids at most


class FollowUpsBoardConsumer(LiveSocket):
    person_group: str = ""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close()
            return
        self.seen: set[int] = set(await self._visible_ids())
        self.person_group = realtime.user_group(user.pk)
        await self.channel_layer.group_add(self.person_group, self.channel_name)
        await self.channel_layer.group_add(FOLLOW_UPS_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in (self.person_group, FOLLOW_UPS_GROUP):
            if group:
                await self.channel_layer.group_discard(group, self.channel_name)

    # --- group messages ---

    async def access_changed(self, event) -> None:
        """The person's roles or account changed: what they may see may have too."""
        self.seen = set(await self._visible_ids())
        await self.send_json({"type": "board.changed"})

    async def follow_up_changed(self, event) -> None:
        pk = event["id"]
        payload = await self._payload(pk)
        if payload is not None:
            if len(self.seen) < SEEN_LIMIT:
                self.seen.add(pk)
            await self.send_json({"type": "follow_up.updated", "follow_up": payload})
        elif pk in self.seen:
            self.seen.discard(pk)
            await self.send_json({"type": "follow_up.removed", "id": pk})

    # --- reads, through the policy ---

    @database_sync_to_async
    def _visible_ids(self) -> list[int]:
        user = self.scope["user"]
        forget(user)
        return list(selectors.follow_ups_for(user).values_list("pk", flat=True)[:SEEN_LIMIT])

    @database_sync_to_async
    def _payload(self, pk: int) -> dict | None:
        user = self.scope["user"]
        forget(user)
        item = follow_ups.restrict(user, FollowUpAction.VIEW, FollowUp.objects.filter(pk=pk)).select_related(
            "person", "assignee", "incident", "affected__person").first()
        return None if item is None else follow_up_payload(user, item)
