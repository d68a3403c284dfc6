"""ASGI application of bench/bare_settings.py: Harbour's own application plus one bare socket.

    daphne bench.bare_asgi:application      (bench/_stack.py starts it; embedded mode through manage.py serve)

`/ws/bench/bare/` is a stock `AsyncJsonWebsocketConsumer`: it joins the group `bench.bare` (Channels'
`groups` attribute, before connect()), accepts any signed-in person (session or token, through the same
origin check and authentication middleware as Harbour's sockets, i.e. config/asgi.py's stack), answers
`{"type": "ping"}` with `{"type": "pong"}` so a client can prove it is subscribed, and forwards every group
message to the client as JSON, unchanged. No database query after the handshake, no per-message checks.

Every other scope, HTTP and WebSocket, goes to `config.asgi.application` itself, unchanged.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare_settings")

from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.routing import URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import path  # noqa: E402

from config.asgi import application as harbour_application  # noqa: E402 - sets Django up first
from config.socket_auth import SameOriginValidator, SessionOrTokenAuthMiddleware  # noqa: E402

BARE_GROUP = settings.BENCH_BARE_GROUP
BARE_SOCKET_PATH = "/ws/bench/bare/"


class BareConsumer(AsyncJsonWebsocketConsumer):
    groups = [BARE_GROUP]

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()
            return
        await self.accept()

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def bare_message(self, message) -> None:
        await self.send_json(message)


bare_socket = SameOriginValidator(SessionOrTokenAuthMiddleware(URLRouter([
    path(BARE_SOCKET_PATH.lstrip("/"), BareConsumer.as_asgi()),
])))


async def application(scope, receive, send):
    if scope["type"] == "websocket" and scope.get("path") == BARE_SOCKET_PATH:
        return await bare_socket(scope, receive, send)
    return await harbour_application(scope, receive, send)
