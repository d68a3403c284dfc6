"""`manage.py serve` for an overlay ASGI application: embedded mode of bench/_stack.py.

    python -m bench.bare_serve --port 8000 [--asgi bench.bare_asgi:application]   (from the project root)

`manage.py serve` always runs `config.asgi:application`; the benchmarks that compare Harbour with a bare
stack need the same single process (daphne + the in-process worker on daphne's loop, in-memory channel
layer) running bench/bare_asgi.py instead. This does what config/management/commands/serve.py does,
reusing its worker loop, with the application path as an argument. DJANGO_SETTINGS_MODULE defaults to
bench.bare_settings. Listens on 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import argparse
import os


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--asgi", default="bench.bare_asgi:application")
    parser.add_argument("--worker-interval", type=float, default=0.5)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare_settings")
    import django

    django.setup()
    from daphne.cli import CommandLineInterface
    from daphne.server import twisted_loop
    from django.conf import settings

    from config.management.commands.serve import worker_loop

    if settings.HARBOUR_INPROCESS_WORKER:
        twisted_loop.call_soon(lambda: twisted_loop.create_task(worker_loop(args.worker_interval)))
    print(f"Harbour (bench overlay {args.asgi}) is at http://{args.host}:{args.port}/", flush=True)
    CommandLineInterface().run(["-b", args.host, "-p", str(args.port), "--proxy-headers", args.asgi])


if __name__ == "__main__":
    main()
