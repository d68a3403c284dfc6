"""`manage.py serve`: Harbour in one process, for the embedded default (`make run`).

Runs daphne, and unless HARBOUR_INPROCESS_WORKER is off, the background worker inside the same process:
with the in-memory channel layer a worker in another process could not reach the sockets. The worker runs
on daphne's own event loop through sync_to_async, so what a task broadcasts goes to the same layer the
sockets listen on. It sweeps for lost timed work every minute, as `manage.py worker` does (core/worker.py).
Production runs daphne and `manage.py worker` as separate processes over Redis.

Links in emails point to HARBOUR_BASE_URL when it is set; otherwise to the address this command was
started on (served_base_url), so `make run` on another port still sends links that work.
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.crypto import get_random_string

from core.worker import sweep_every

logger = logging.getLogger("harbour.worker")


def _run_due_tasks(worker_id: str) -> None:
    from django_tasks_db.management.commands.db_worker import Worker

    try:
        Worker(
            queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
            max_tasks=None, worker_id=worker_id, excluded_queue_names=[],
        ).run()
    finally:
        close_old_connections()  # back to the pool between passes (PostgreSQL), as a request does


def _with_connections_returned(work):
    def run():
        try:
            return work()
        finally:
            close_old_connections()
    return run


async def worker_loop(interval: float) -> None:
    worker_id = f"serve-{get_random_string(12)}"
    # A pass every half second would otherwise log twice a second; failures still log as warnings.
    logging.getLogger("django_tasks_db").setLevel(logging.WARNING)
    run = sync_to_async(_run_due_tasks, thread_sensitive=False)
    sweep_if_due = sync_to_async(_with_connections_returned(sweep_every(settings.HARBOUR_SWEEP_SECONDS)),
                                 thread_sensitive=False)
    logger.info("In-process worker %s started (every %ss).", worker_id, interval)
    while True:
        try:
            await sweep_if_due()
            await run(worker_id)
        except Exception:
            logger.exception("In-process worker pass failed; trying again shortly.")
        await asyncio.sleep(interval)


def served_base_url(host: str, port: int, allowed_hosts: list[str]) -> str:
    """The address a person's browser reaches a server started on host:port at, for links in emails.

    A named host or address is kept as given (127.0.0.1, localhost, harbour.council.local). A wildcard
    (0.0.0.0, ::) is no address anyone can browse to: another machine reaches Harbour only by a name it
    answers to, so the first concrete name in ALLOWED_HOSTS stands in for it (127.0.0.1 by default, which
    is right for the person at this machine). Plain http: this server speaks no TLS. Behind a proxy, or
    for any other name, set HARBOUR_BASE_URL.
    """
    name = host.strip()
    if name.strip("[]") in ("", "0.0.0.0", "::"):  # noqa: S104 - recognising the wildcard, not binding to it
        names = [h for h in allowed_hosts if h and not h.startswith(".") and "*" not in h]
        name = names[0] if names else "127.0.0.1"
    elif ":" in name and not name.startswith("["):
        name = f"[{name}]"  # an IPv6 address, as a URL writes it
    return f"http://{name}" + ("" if port == 80 else f":{port}")


def use_served_base_url(host: str, port: int) -> str:
    """Point links in emails at this server unless HARBOUR_BASE_URL says otherwise; returns where they point.
    Every sender reads settings.HARBOUR_BASE_URL when it sends, so the in-process worker sees this too."""
    if not settings.HARBOUR_BASE_URL_SET:
        settings.HARBOUR_BASE_URL = served_base_url(host, port, settings.ALLOWED_HOSTS)
    return settings.HARBOUR_BASE_URL


class Command(BaseCommand):
    help = "Serve Harbour with daphne (and, in the embedded default, the background worker in-process)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--worker-interval", type=float, default=0.5)
        parser.add_argument("--no-worker", action="store_true", help="Do not run the in-process worker.")

    def handle(self, *args, host: str, port: int, worker_interval: float, no_worker: bool, **options):
        from daphne.cli import CommandLineInterface
        from daphne.server import twisted_loop

        if settings.HARBOUR_INPROCESS_WORKER and not no_worker:
            twisted_loop.call_soon(lambda: twisted_loop.create_task(worker_loop(worker_interval)))
        links = use_served_base_url(host, port)
        self.stdout.write(f"Harbour is at http://{host}:{port}/  (Ctrl+C stops it)")
        self.stdout.write(f"Links in emails point to {links}/ (HARBOUR_BASE_URL changes this)")
        # The application the settings name (config.asgi.application, or a benchmark overlay's), in
        # daphne's "module:attribute" form.
        module, _, attribute = settings.ASGI_APPLICATION.rpartition(".")
        # No --proxy-headers: daphne would take the client from the leftmost X-Forwarded-For, which the client
        # writes. core/client_address.py reads forwarded headers only as deep as HARBOUR_TRUSTED_PROXIES says.
        CommandLineInterface().run(["-b", host, "-p", str(port), f"{module}:{attribute}"])
