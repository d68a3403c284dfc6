"""A Harbour stack for the benchmarks that need more than tests/servers.py's `harbour_stack` gives.

`harbour_stack` always serves `config.asgi:application` (daphne's argument, and `manage.py serve`'s) and
starts the servers right after migrate + seed_demo. `bench_stack` is the same sequence built from the same
helpers (fresh_database, prepare_database, start_child, wait_for_http, stop_children), with two hooks:

- `asgi`: the application the web processes serve. Production runs plain daphne on it; embedded runs
  bench/bare_serve.py, which is `manage.py serve` (daphne + the in-process worker) on that application.
- `before_start(env, log)`: called after the demo seed and before any server starts, e.g. to run
  `manage.py seed_large` on the database the servers will use.

`settings` sets DJANGO_SETTINGS_MODULE for every child (the seed too). As in `harbour_stack`, each stack has
its own database (a throw-away `harbour_e2e_*` on PostgreSQL, or SQLite in a temporary directory) and its
own CHANNEL_LAYER_PREFIX on the shared Redis; everything listens on 127.0.0.1 and is stopped and removed
at the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from _common import ROOT  # noqa: F401 - puts the project root on sys.path for tests.servers

from tests.servers import (
    PYTHON,
    Stack,
    daphne_args,
    free_port,
    fresh_database,
    prepare_database,
    serve_args,
    start_child,
    stop_children,
    wait_for_http,
    worker_args,
)

HARBOUR_ASGI = "config.asgi:application"
BARE_ASGI = "bench.bare_asgi:application"
BARE_SETTINGS = "bench.bare_settings"


def web_args(mode: str, port: int, asgi: str) -> list[str]:
    if mode == "production":
        args = daphne_args(port)
        return [*args[:-1], asgi]  # plain daphne on 127.0.0.1:port, serving `asgi`
    if asgi == HARBOUR_ASGI:
        return serve_args(port)
    return [PYTHON, "-m", "bench.bare_serve", "--host", "127.0.0.1", "--port", str(port), "--asgi", asgi]


@contextlib.contextmanager
def bench_stack(mode: str, *, web: int = 1, workers: int = 1, settings: str | None = None,
                asgi: str = HARBOUR_ASGI, before_start: Callable[[dict[str, str], Path], None] | None = None,
                start_timeout: float = 60.0) -> Iterator[Stack]:
    if mode not in ("embedded", "production"):
        raise ValueError(f"Unknown mode {mode!r}")
    keep = os.environ.get("HARBOUR_E2E_KEEP_TMP", "") not in ("", "0")
    tmpdir = Path(tempfile.mkdtemp(prefix="harbour-bench-"))
    try:
        with fresh_database(tmpdir) as env:
            env["CHANNEL_LAYER_PREFIX"] = f"harbour-bench-{tmpdir.name}"
            if settings:
                env["DJANGO_SETTINGS_MODULE"] = settings
            stack = Stack(mode=mode, tmpdir=tmpdir, env=env)
            prepare_database(env, log=tmpdir / "setup.log")
            if before_start is not None:
                before_start(env, tmpdir / "setup.log")
            try:
                for index in range(web):
                    port = free_port()
                    stack.web.append(start_child(f"web{index}", web_args(mode, port, asgi), env, tmpdir,
                                                 url=f"http://127.0.0.1:{port}"))
                if mode == "production":
                    for index in range(workers):
                        stack.workers.append(start_child(f"worker{index}", worker_args(), env, tmpdir))
                for child in stack.web:
                    wait_for_http(child, timeout=start_timeout)
                stack.check_alive()
                yield stack
            finally:
                stop_children(stack.children)
    finally:
        if not keep:
            shutil.rmtree(tmpdir, ignore_errors=True)
