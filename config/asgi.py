"""ASGI entry point: `daphne config.asgi:application`. HTTP goes to Django; WebSockets go through the
origin check (scheme, host and port), then session or token authentication, then the socket routes."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()  # sets Django up before anything imports models

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from config.socket_auth import SameOriginValidator, SessionOrTokenAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(SessionOrTokenAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
