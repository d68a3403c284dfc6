"""The approvals board socket: `/ws/boards/approvals/`.

A board joins one group per incident whose messages its person approves (comms/policy.py, APPROVERS),
so an event reaches only the boards that may show it, and costs nothing on anyone else's. The person's
own group tells it when their memberships or roles change: it then joins and leaves groups to match and
asks the page to redraw. Events carry only ids; the socket fetches the message through the policy for
its own person before sending anything.
"""

from __future__ import annotations

from types import SimpleNamespace

from channels.db import database_sync_to_async

from core import realtime
from core.actors import forget
from core.live import LiveSocket

from . import selectors
from .models import Message
from .policy import Action, messages
from .serializers import MessageSerializer


class ApprovalsBoardConsumer(LiveSocket):
    person_group: str = ""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close()
            return
        self.joined: set[str] = set()
        self.person_group = realtime.user_group(user.pk)
        await self.channel_layer.group_add(self.person_group, self.channel_name)
        await self._follow_incidents()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in [*getattr(self, "joined", ()), self.person_group]:
            if group:
                await self.channel_layer.group_discard(group, self.channel_name)

    async def _follow_incidents(self) -> None:
        wanted = {realtime.approvals_group(pk) for pk in await self._board_incident_ids()}
        for group in wanted - self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        for group in self.joined - wanted:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined = wanted

    # --- group messages (from core.realtime) ---

    async def access_changed(self, event) -> None:
        """The person's memberships or roles changed: follow the incidents they now approve for."""
        await self._follow_incidents()
        await self.send_json({"type": "board.changed"})

    async def board_changed(self, event) -> None:
        """A gate of every open message of one incident moved: the page redraws the board (this socket is
        in that incident's group only while its person approves for it)."""
        await self.send_json({"type": "board.changed"})

    async def message_changed(self, event) -> None:
        payload = await self._message_for_board(event["message"])
        if payload is not None:
            await self.send_json({"type": "message.updated", "message": payload})

    # --- reads, through the policy ---

    @database_sync_to_async
    def _board_incident_ids(self) -> list[int]:
        user = self.scope["user"]
        forget(user)
        return list(selectors.board_incidents(user).values_list("pk", flat=True))

    @database_sync_to_async
    def _message_for_board(self, message_id: int) -> dict | None:
        user = self.scope["user"]
        forget(user)
        message = selectors.messages_with_details(
            messages.restrict(user, Action.APPROVE, Message.objects.filter(pk=message_id))
        ).first()
        if message is None:
            return None
        return MessageSerializer(message, context={"request": SimpleNamespace(user=user)}).data
