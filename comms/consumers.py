"""The approvals board socket: `/ws/boards/approvals/`.

One group for every board; each event carries only ids, and each socket fetches the message through
the permission check for its own person, so nobody's board shows a message of an incident they cannot
see or do not approve for.
"""

from __future__ import annotations

from types import SimpleNamespace

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from incidents import realtime

from . import selectors
from .models import Message
from .serializers import MessageSerializer


class ApprovalsBoardConsumer(AsyncJsonWebsocketConsumer):
    group = realtime.approvals_board_group()

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close()
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def message_changed(self, event) -> None:
        payload = await self._message_for_board(event["message"])
        if payload is not None:
            await self.send_json({"type": "message.updated", "message": payload})

    @database_sync_to_async
    def _message_for_board(self, message_id: int) -> dict | None:
        user = self.scope["user"]
        user.refresh_from_db(fields=["is_active"])
        user.__dict__.pop("_org_roles", None)
        if not user.is_active:
            return None
        message = selectors.messages_with_details(
            Message.objects.filter(pk=message_id, incident__in=selectors.board_incidents(user))
        ).first()
        if message is None:
            return None
        return MessageSerializer(message, context={"request": SimpleNamespace(user=user)}).data
