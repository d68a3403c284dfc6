"""Live fan-out: how long a decision recorded through the API takes to reach N incident sockets.

    .venv/bin/python bench/live_fanout.py --mode embedded --clients 1,50,200 --events 50
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/live_fanout.py --mode production --clients 1,50,200 --events 50

One fresh stack per run (tests/servers.py: migrated, demo-seeded database; one web process; in production
also one `manage.py worker`), reused for every client count. For each count: open N sockets as dhughes on the
restricted incident she leads (each proven subscribed by a resync round trip), then record `--events`
decisions through POST /api/incidents/<id>/decisions/, one in flight at a time, from a thread so the
socket readers keep reading. Each decision carries a unique marker; a delivery is a client's receipt of
the `timeline.event` whose summary carries it. Latency runs from just before the POST is sent to that
receipt, all on one clock in this process. A delivery not seen within --timeout of its POST is lost.

`--layer core` (production only) runs the servers on bench/core_layer_settings.py, which swaps the pub/sub
Redis layer the app uses for channels_redis' core layer, to compare the two on the same fan-out.

Everything is on 127.0.0.1, every loop is bounded, and the stack is stopped and removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import sys
import time
from collections import defaultdict

from _common import (
    api_request,
    append_jsonl,
    check_mode,
    cpu_seconds,
    git_commit,
    harbour_stack,
    incident_led_by,
    percentile,
    token_for,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

MARK = re.compile(r"fanout-(?P<run>[0-9a-f]{6})-(?P<seq>\d+)\b")


class Deliveries:
    """Receipt times per event and client, filled in by the socket readers."""

    def __init__(self, clients: int, run_id: str) -> None:
        self.clients = clients
        self.run_id = run_id
        self.received: dict[int, dict[int, float]] = defaultdict(dict)
        self.done: dict[int, asyncio.Event] = {}
        self.duplicates = 0
        self.closed = 0

    def done_event(self, seq: int) -> asyncio.Event:
        return self.done.setdefault(seq, asyncio.Event())

    def on_message(self, client: int, raw: str | bytes, now: float) -> None:
        message = json.loads(raw)
        if message.get("type") != "timeline.event":
            return
        event = message.get("event") or {}
        match = MARK.search(event.get("summary") or "")
        if event.get("type") != "decision.recorded" or not match or match["run"] != self.run_id:
            return
        seq = int(match["seq"])
        got = self.received[seq]
        if client in got:
            self.duplicates += 1
            return
        got[client] = now
        if len(got) == self.clients:
            self.done_event(seq).set()


async def read_forever(socket: ClientConnection, client: int, deliveries: Deliveries) -> None:
    try:
        async for raw in socket:
            deliveries.on_message(client, raw, time.perf_counter())
    except ConnectionClosed:
        pass
    deliveries.closed += 1  # normal end is at our own close; before that it would be a dropped socket


async def open_socket(url: str, origin: str, token: str, gate: asyncio.Semaphore) -> ClientConnection:
    async with gate:
        socket = await connect(url, origin=origin, additional_headers={"Authorization": f"Token {token}"},
                               open_timeout=30, close_timeout=2)
        # A resync round trip proves the consumer is running and subscribed to the incident's group.
        await socket.send(json.dumps({"type": "resync", "after": 10**9}))
        async with asyncio.timeout(15):
            while json.loads(await socket.recv()).get("type") != "resync.done":
                pass
        return socket


def summarise(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 50), "p95": percentile(values, 95), "max": max(values, default=float("nan"))}


async def run_round(stack, incident_id: int, token: str, clients: int, events: int, warmup: int,
                    timeout: float, connect_concurrency: int) -> dict:
    base = stack.url
    ws_url = base.replace("http://", "ws://") + f"/ws/incidents/{incident_id}/"
    post_url = f"{base}/api/incidents/{incident_id}/decisions/"
    run_id = secrets.token_hex(3)
    deliveries = Deliveries(clients, run_id)

    started = time.perf_counter()
    gate = asyncio.Semaphore(connect_concurrency)
    results = await asyncio.gather(*(open_socket(ws_url, base, token, gate) for _ in range(clients)),
                                   return_exceptions=True)
    sockets = [r for r in results if isinstance(r, ClientConnection)]
    failures = [r for r in results if not isinstance(r, ClientConnection)]
    connect_s = time.perf_counter() - started
    readers = [asyncio.create_task(read_forever(s, i, deliveries)) for i, s in enumerate(sockets)]
    try:
        if failures:
            raise RuntimeError(f"{len(failures)} of {clients} sockets failed to open: {failures[0]!r}")

        sent_at: dict[int, float] = {}
        post_ms: list[float] = []
        loop_start = cpu_web = cpu_workers = cpu_self = 0.0
        for seq in range(warmup + events):
            if seq == warmup:  # the measured window starts after the warm-up events
                loop_start = time.perf_counter()
                cpu_web = sum(cpu_seconds(c.process.pid) for c in stack.web)
                cpu_workers = sum(cpu_seconds(c.process.pid) for c in stack.workers)
                cpu_self = time.process_time()
            body = {"decision": f"Benchmark fan-out fanout-{run_id}-{seq} to {clients} sockets",
                    "rationale": "Recorded by bench/live_fanout.py."}
            t0 = time.perf_counter()
            await asyncio.to_thread(api_request, post_url, token=token, data=body)
            t1 = time.perf_counter()
            sent_at[seq] = t0
            if seq >= warmup:
                post_ms.append((t1 - t0) * 1000)
            try:
                async with asyncio.timeout(max(0.0, t0 + timeout - time.perf_counter())):
                    await deliveries.done_event(seq).wait()
            except TimeoutError:
                pass  # counted as lost below
        loop_s = time.perf_counter() - loop_start
        cpu = {
            "web_s": sum(cpu_seconds(c.process.pid) for c in stack.web) - cpu_web,
            "workers_s": sum(cpu_seconds(c.process.pid) for c in stack.workers) - cpu_workers,
            "bench_s": time.process_time() - cpu_self,
        }
    finally:
        await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)

    per_delivery: list[float] = []
    slowest: list[float] = []
    lost = 0
    for seq in range(warmup, warmup + events):
        latencies = [(at - sent_at[seq]) * 1000 for at in deliveries.received[seq].values()
                     if at - sent_at[seq] <= timeout]
        lost += clients - len(latencies)
        per_delivery.extend(latencies)
        if latencies:
            slowest.append(max(latencies))
    return {
        "clients": clients, "events": events, "warmup": warmup, "connect_s": round(connect_s, 2),
        "delivery_ms": summarise(per_delivery), "slowest_ms": summarise(slowest), "post_ms": summarise(post_ms),
        "delivered": len(per_delivery), "lost": lost, "duplicates": deliveries.duplicates,
        "deliveries_per_s": len(per_delivery) / loop_s if loop_s else float("nan"),
        "events_per_s": events / loop_s if loop_s else float("nan"), "measured_s": round(loop_s, 2),
        "cpu": {k: round(v, 2) for k, v in cpu.items()},
    }


def row(mode: str, r: dict) -> str:
    d, s, p = r["delivery_ms"], r["slowest_ms"], r["post_ms"]
    return (f"| {mode} | {r['clients']} | {r['events']} | {d['p50']:.1f} / {d['p95']:.1f} / {d['max']:.1f} "
            f"| {s['p50']:.1f} / {s['p95']:.1f} / {s['max']:.1f} | {r['deliveries_per_s']:.0f} "
            f"| {p['p50']:.1f} / {p['p95']:.1f} | {r['lost']} | {r['cpu']['web_s']:.1f} / {r['cpu']['bench_s']:.1f} |")


HEADER = ("| mode | clients | events | delivery ms p50 / p95 / max | slowest client per event ms p50 / p95 / max "
          "| deliveries/s | POST ms p50 / p95 | lost | CPU s web / bench |\n|---|---|---|---|---|---|---|---|---|")


def layer_name(args: argparse.Namespace) -> str:
    return "in-memory" if args.mode == "embedded" else f"redis-{args.layer}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["embedded", "production"], required=True)
    parser.add_argument("--clients", default="1,50,200", help="comma-separated socket counts (default 1,50,200)")
    parser.add_argument("--events", type=int, default=50, help="measured decisions per client count")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured decisions first (default 3)")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-event delivery timeout, seconds")
    parser.add_argument("--layer", choices=["pubsub", "core"], default="pubsub",
                        help="production only: channels_redis layer (the app uses pubsub; core is for comparison)")
    parser.add_argument("--connect-concurrency", type=int, default=20, help="sockets opening at once")
    parser.add_argument("--json", metavar="PATH", help="append one JSON line per client count to PATH")
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",") if c.strip()]
    if not counts or min(counts) < 1 or args.events < 1 or not 0 < args.timeout <= 60:
        parser.error("need clients >= 1, events >= 1 and 0 < timeout <= 60")
    check_mode(args.mode)
    if args.layer == "core":
        if args.mode != "production":
            parser.error("--layer core needs --mode production")
        os.environ["DJANGO_SETTINGS_MODULE"] = "bench.core_layer_settings"  # inherited by the servers
    label = args.mode if args.layer == "pubsub" else f"{args.mode} (core layer)"
    commit = git_commit()

    print(f"Starting a {args.mode} stack…", file=sys.stderr)
    results = []
    with harbour_stack(args.mode, web=1, workers=1) as stack:
        token = token_for(stack.url)
        incident_id = incident_led_by(stack.url, token)
        for clients in counts:
            print(f"  {clients} client(s), {args.events} events…", file=sys.stderr)
            result = asyncio.run(run_round(stack, incident_id, token, clients, args.events, args.warmup,
                                           args.timeout, args.connect_concurrency))
            stack.check_alive()
            results.append(result)
            print("  " + json.dumps(result), file=sys.stderr)
            append_jsonl(args.json, {"bench": "live_fanout", "mode": args.mode, "layer": layer_name(args),
                                     "commit": commit, **result})
            time.sleep(1)  # let the server finish the disconnects before the next round
    print(HEADER)
    for result in results:
        print(row(label, result))
    if any(r["lost"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
