"""The HTTP half of the ASGI application: Django's handler, with the request crossing to a thread once.

Every page and API view in Harbour is synchronous. Django's ASGI handler, built for a mix, runs each
middleware that can be either (most of Django's own) on the event loop and hops to a thread and back for
each of its process_request and process_response, then hops again for the view: 18 crossings for one
request, each a queue, a thread wake-up and a context copy. This handler builds the middleware chain
synchronously and runs the whole of it, view included, in the request's thread in one crossing. What
happens is the same: the same middleware in the same order, the same thread for the request's database
connection, the same signals; only the crossings go.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SyncViewsASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        # thread_sensitive: the request's own thread (ASGIHandler gives each request one), as Django does
        # for a sync view, so the connection opened here is the one its end-of-request signal closes.
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
