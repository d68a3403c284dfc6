"""The Clocks board's socket: `/ws/boards/clocks/` (config/routing.py). It shares what every live page's
socket does (core.live.LiveSocket: JSON text frames only, calm failure, a token's lifetime)."""

from __future__ import annotations

from core import realtime
from core.live import LiveSocket
from incidents.consumers import sees_incident


class ClocksBoardConsumer(LiveSocket):
    """The Clocks board socket: `/ws/boards/clocks/`.

    Every board joins one group (core.realtime.CLOCKS_GROUP). An event names only its incident; the
    socket asks the policy whether its person may see that incident and, only if so, tells the page to
    redraw its board (which the server renders for that person). Someone who may not see a restricted
    incident hears nothing of it, not even that something changed. The person's own group tells it when
    their roles or memberships change.
    """

    person_group: str = ""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close()
            return
        self.person_group = realtime.user_group(user.pk)
        await self.channel_layer.group_add(self.person_group, self.channel_name)
        await self.channel_layer.group_add(realtime.CLOCKS_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in (self.person_group, realtime.CLOCKS_GROUP):
            if group:
                await self.channel_layer.group_discard(group, self.channel_name)

    async def access_changed(self, event) -> None:
        await self.send_json(realtime.panels_changed_message("board"))

    async def clocks_changed(self, event) -> None:
        if await sees_incident(self.scope["user"], event["incident"]):
            await self.send_json(realtime.panels_changed_message("board"))
