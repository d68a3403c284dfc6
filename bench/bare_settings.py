"""Harbour's settings plus a bare DRF + Channels stack served beside it, for the bare-vs-Harbour benchmarks.

Used by bench/write_path.py and bench/live_vs_raw.py (through bench/_stack.py), which start the servers
with DJANGO_SETTINGS_MODULE=bench.bare_settings and the ASGI application bench.bare_asgi:application. Every
Harbour URL and socket is served exactly as by config.settings and config.asgi; the only additions are:

- `POST /bench/bare/create/`: a stock DRF `CreateAPIView` + `ModelSerializer` inserting one
  `auth.Group` row (bench/bare_urls.py);
- `POST /bench/bare/create-and-send/`: the same insert, then, on commit, a raw
  `async_to_sync(channel_layer.group_send)` to the group `bench.bare`;
- the socket `/ws/bench/bare/`: a stock `AsyncJsonWebsocketConsumer` in group `bench.bare` that forwards
  each group message as JSON (bench/bare_asgi.py).

Nothing new is stored: no model, no migration, no installed app. Never use these settings for real.
"""

from config.settings import *  # noqa: F403 - a settings overlay: everything, then the bench additions

ROOT_URLCONF = "bench.bare_urls"
ASGI_APPLICATION = "bench.bare_asgi.application"
# The group of the bare socket, the bare create-and-send and bench/live_vs_raw.py's raw group_send.
BENCH_BARE_GROUP = "bench.bare"
