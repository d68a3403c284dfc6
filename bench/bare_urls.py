"""URLconf of bench/bare_settings.py: a bare DRF create (and create-and-send) in front of all of Harbour's URLs.

The bare endpoints are what a stock DRF project does for a create, so that Harbour's own writes can be
compared against it on the same processes, database and channel layer:

- `POST /bench/bare/create/` with `{"name": "..."}`: `generics.CreateAPIView` + a plain `ModelSerializer`
  over `django.contrib.auth.models.Group` (id, unique name). It uses the project's DRF defaults, like the
  rest of Harbour's API: token (or session) authentication, IsAuthenticated, the JSON parser and renderer,
  the exception handler. Its work is: authenticate the token (1 query), the serializer's unique-name
  check (1 query), the INSERT. `auth.Group` is used rather than `people.Team` because Team carries a
  simple-history table, which would add a second insert per create; Group has no history and no signals.
- `POST /bench/bare/create-and-send/`: the same, inside `transaction.atomic()`, registering
  `transaction.on_commit(lambda: async_to_sync(channel_layer.group_send)("bench.bare", message))`, so the
  broadcast is sent after the commit and before the response, as Harbour's services do.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import path
from rest_framework import generics, serializers

from config.urls import urlpatterns as harbour_urlpatterns

BARE_GROUP = settings.BENCH_BARE_GROUP

handler404 = "core.views.not_found"  # as config/urls.py


class BareGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = Group
        fields = ["id", "name"]


class BareCreate(generics.CreateAPIView):
    """A stock DRF create: parse, validate, insert, answer 201 with the row."""

    queryset = Group.objects.all()
    serializer_class = BareGroupSerializer


class BareCreateAndSend(BareCreate):
    """The same create, then one raw group_send to `bench.bare` once the insert has committed."""

    def perform_create(self, serializer):
        with transaction.atomic():
            row = serializer.save()
            message = {"type": "bare.message", "payload": {"id": row.pk, "name": row.name}}
            transaction.on_commit(lambda: async_to_sync(get_channel_layer().group_send)(BARE_GROUP, message))


urlpatterns = [
    path("bench/bare/create/", BareCreate.as_view(), name="bench-bare-create"),
    path("bench/bare/create-and-send/", BareCreateAndSend.as_view(), name="bench-bare-create-and-send"),
    *harbour_urlpatterns,
]
