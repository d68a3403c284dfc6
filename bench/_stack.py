"""The benchmarks' stack: tests/servers.py's `harbour_stack`, optionally on the bare-stack overlay.

`settings` sets DJANGO_SETTINGS_MODULE for every child (the seed too): with bench/bare_settings.py, plain
daphne (production) and `manage.py serve` (embedded, which serves the settings' ASGI_APPLICATION) both serve
all of Harbour plus the bare endpoints and socket. `before_start(env, log)` runs after the demo seed and
before any server starts (bench/scale.py loads `seed_large` there). As every stack, it has its own database
and CHANNEL_LAYER_PREFIX, listens on 127.0.0.1 only, and is stopped and removed at the end.
"""

from __future__ import annotations

from _common import ROOT  # noqa: F401 - puts the project root on sys.path for tests.servers

from tests.servers import harbour_stack

BARE_ASGI = "bench.bare_asgi:application"
BARE_SETTINGS = "bench.bare_settings"


def bench_stack(mode: str, *, settings: str | None = None, asgi: str = "config.asgi:application", **kwargs):
    extra_env = {"DJANGO_SETTINGS_MODULE": settings} if settings else {}
    return harbour_stack(mode, extra_env=extra_env, asgi=asgi, start_timeout=60.0, **kwargs)
