"""ASGI entry point: `daphne config.asgi:application`. HTTP goes to Django; WebSockets go through the
origin check (scheme, host and port), then session or token authentication, then the socket routes."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)  # before anything imports models (what get_asgi_application() does)

from core.http import SyncViewsASGIHandler  # noqa: E402

django_asgi_app = SyncViewsASGIHandler()  # every view is synchronous: one crossing to a thread per request

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from config.socket_auth import SameOriginValidator, SessionOrTokenAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(SessionOrTokenAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
