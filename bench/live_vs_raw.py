"""Live delivery, Harbour against the bare stack and a raw group_send, interleaved in one run.

    .venv/bin/python bench/live_vs_raw.py --mode embedded --clients 50 --events 100
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/live_vs_raw.py --mode production --clients 50 --events 100
    ... --mode production --web 2 --clients 500 --events 20     # 500 + 500 sockets over two web processes

One fresh stack (bench/_stack.py: migrated, demo-seeded database; --web processes serving
bench/bare_settings.py + bench/bare_asgi.py, i.e. all of Harbour plus the bare endpoints and socket; in
production also one `manage.py worker`). Signed in as dhughes by API token, it opens --clients sockets of
each kind, socket i on web process i mod --web, at most --connect-concurrency at a time:

- Harbour: `/ws/incidents/<id>/` on the restricted incident dhughes leads, each proven subscribed by a
  `resync` round trip (as bench/live_fanout.py);
- bare: `/ws/bench/bare/` (a stock AsyncJsonWebsocketConsumer in group `bench.bare`, bench/bare_asgi.py),
  each proven subscribed by a ping/pong round trip.

Then, for each of --warmup + --events rounds, one event of each kind, in an order that rotates every round
so drift lands on all alike, one event in flight at a time:

- **harbour**: `POST /api/incidents/<id>/decisions/` → the `timeline.event` at every Harbour socket;
- **bare**: `POST /bench/bare/create-and-send/` (a stock DRF create, then a raw `async_to_sync(group_send)`
  on commit) → the message at every bare socket;
- **raw** (production only): this process itself calls `group_send("bench.bare", ...)` on a
  channels_redis RedisPubSubChannelLayer built like config/settings.py's (same REDIS_URL, the stack's
  CHANNEL_LAYER_PREFIX) → the message at every bare socket. In embedded mode the in-memory layer lives
  inside the web process, so there is no raw send from outside: reported as not applicable.

POSTs go to web process (round mod --web), each on a new urllib connection, from a thread so the socket
readers keep reading. Each event carries a unique marker. Latency runs from just before the POST (or
group_send) to a socket's receipt, on one perf_counter clock in this process; a delivery not seen within
--timeout is lost. Note that every receipt is timestamped by this one client process: with hundreds of
sockets its own reading adds to the slowest clients' latencies, alike for every kind.

Printed per kind: per-delivery and slowest-client-per-event p50 / p99, POST time, lost; then Harbour / raw
and Harbour / bare at p50 and p99, PASS when at most --target (1.5); and lost deliveries (target 0). Exits
1 when any target fails. Everything is on 127.0.0.1, every loop is bounded, and the stack is stopped and
removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
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
    incident_led_by,
    percentile,
    ratio,
    token_for,
)
from _stack import BARE_ASGI, BARE_SETTINGS, bench_stack
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

KINDS = ("harbour", "bare", "raw")
BARE_GROUP = "bench.bare"  # bench/bare_settings.py BENCH_BARE_GROUP
MARK = re.compile(r"lvr-(?P<run>[0-9a-f]{6})-(?P<kind>harbour|bare|raw)-(?P<seq>\d+)\b")


class Deliveries:
    """Receipt times per (kind, event) and client, filled in by the socket readers."""

    def __init__(self, clients: int, run_id: str) -> None:
        self.clients = clients
        self.run_id = run_id
        self.received: dict[tuple[str, int], dict[int, float]] = defaultdict(dict)
        self.done: dict[tuple[str, int], asyncio.Event] = {}
        self.duplicates: dict[str, int] = defaultdict(int)
        self.wrong_socket = 0

    def done_event(self, key: tuple[str, int]) -> asyncio.Event:
        return self.done.setdefault(key, asyncio.Event())

    def on_message(self, socket_kind: str, client: int, raw: str | bytes, now: float) -> None:
        message = json.loads(raw)
        if socket_kind == "harbour":
            event = message.get("event") or {}
            if message.get("type") != "timeline.event" or event.get("type") != "decision.recorded":
                return
            text = event.get("summary") or ""
        else:
            if message.get("type") != "bare.message":
                return
            text = (message.get("payload") or {}).get("name") or ""
        match = MARK.search(text)
        if not match or match["run"] != self.run_id:
            return
        kind = match["kind"]
        if (kind == "harbour") != (socket_kind == "harbour"):
            self.wrong_socket += 1
            return
        key = (kind, int(match["seq"]))
        got = self.received[key]
        if client in got:
            self.duplicates[kind] += 1
            return
        got[client] = now
        if len(got) == self.clients:
            self.done_event(key).set()


async def read_forever(socket: ClientConnection, socket_kind: str, client: int, deliveries: Deliveries) -> None:
    try:
        async for raw in socket:
            deliveries.on_message(socket_kind, client, raw, time.perf_counter())
    except ConnectionClosed:
        pass


async def open_socket(url: str, origin: str, token: str, kind: str, gate: asyncio.Semaphore) -> ClientConnection:
    async with gate:
        socket = await connect(url, origin=origin, additional_headers={"Authorization": f"Token {token}"},
                               open_timeout=30, close_timeout=2)
        # A round trip proves the consumer is running and already in its group.
        if kind == "harbour":
            await socket.send(json.dumps({"type": "resync", "after": 10**9}))
            expected = "resync.done"
        else:
            await socket.send(json.dumps({"type": "ping"}))
            expected = "pong"
        async with asyncio.timeout(15):
            while json.loads(await socket.recv()).get("type") != expected:
                pass
        return socket


async def open_many(urls: list[str], path: str, token: str, kind: str, count: int,
                    gate: asyncio.Semaphore) -> list[ClientConnection]:
    targets = [urls[i % len(urls)] for i in range(count)]
    results = await asyncio.gather(
        *(open_socket(base.replace("http://", "ws://") + path, base, token, kind, gate) for base in targets),
        return_exceptions=True)
    sockets = [r for r in results if isinstance(r, ClientConnection)]
    failures = [r for r in results if not isinstance(r, ClientConnection)]
    if failures:
        await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
        raise RuntimeError(f"{len(failures)} of {count} {kind} sockets failed to open: {failures[0]!r}")
    return sockets


def summarise(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 50), "p95": percentile(values, 95), "p99": percentile(values, 99),
            "max": max(values, default=float("nan"))}


async def run(stack, args: argparse.Namespace, kinds: list[str]) -> dict:
    urls = stack.urls
    token = token_for(urls[0])
    incident_id = incident_led_by(urls[0], token)
    run_id = secrets.token_hex(3)
    deliveries = Deliveries(args.clients, run_id)
    gate = asyncio.Semaphore(args.connect_concurrency)

    layer = None
    if "raw" in kinds:
        from channels_redis.pubsub import RedisPubSubChannelLayer

        # As config/settings.py builds it for the servers: the same Redis and the stack's own prefix.
        layer = RedisPubSubChannelLayer(hosts=[os.environ["REDIS_URL"]], prefix=stack.env["CHANNEL_LAYER_PREFIX"])

    sockets: dict[str, list[ClientConnection]] = {}
    readers: list[asyncio.Task] = []
    connect_s: dict[str, float] = {}
    try:
        if "harbour" in kinds:
            started = time.perf_counter()
            sockets["harbour"] = await open_many(urls, f"/ws/incidents/{incident_id}/", token, "harbour",
                                                 args.clients, gate)
            connect_s["harbour"] = round(time.perf_counter() - started, 2)
        if "bare" in kinds or "raw" in kinds:
            started = time.perf_counter()
            sockets["bare"] = await open_many(urls, "/ws/bench/bare/", token, "bare", args.clients, gate)
            connect_s["bare"] = round(time.perf_counter() - started, 2)
        print(f"  sockets open: {connect_s}", file=sys.stderr)
        for socket_kind, group in sockets.items():
            readers += [asyncio.create_task(read_forever(s, socket_kind, i, deliveries)) for i, s in enumerate(group)]

        sent_at: dict[tuple[str, int], float] = {}
        post_ms: dict[str, list[float]] = defaultdict(list)
        loop_start = cpu_web = 0.0
        for seq in range(args.warmup + args.events):
            if seq == args.warmup:
                loop_start = time.perf_counter()
                cpu_web = sum(cpu_seconds(c.process.pid) for c in stack.web)
            base = urls[seq % len(urls)]
            shift = seq % len(kinds)
            for kind in kinds[shift:] + kinds[:shift]:
                key = (kind, seq)
                marker = f"lvr-{run_id}-{kind}-{seq}"
                t0 = time.perf_counter()
                if kind == "harbour":
                    body = {"decision": f"Benchmark live delivery {marker} to {args.clients} sockets",
                            "rationale": "Recorded by bench/live_vs_raw.py."}
                    await asyncio.to_thread(api_request, f"{base}/api/incidents/{incident_id}/decisions/",
                                            token=token, data=body)
                elif kind == "bare":
                    await asyncio.to_thread(api_request, f"{base}/bench/bare/create-and-send/", token=token,
                                            data={"name": marker})
                else:
                    await layer.group_send(BARE_GROUP, {"type": "bare.message", "payload": {"id": seq, "name": marker}})
                t1 = time.perf_counter()
                sent_at[key] = t0
                if seq >= args.warmup and kind != "raw":
                    post_ms[kind].append((t1 - t0) * 1000)
                try:
                    async with asyncio.timeout(max(0.0, t0 + args.timeout - time.perf_counter())):
                        await deliveries.done_event(key).wait()
                except TimeoutError:
                    pass  # counted as lost below
            if (seq + 1) % 25 == 0:
                print(f"  {seq + 1} rounds", file=sys.stderr)
                stack.check_alive()
        loop_s = time.perf_counter() - loop_start
        cpu_web = sum(cpu_seconds(c.process.pid) for c in stack.web) - cpu_web
    finally:
        for group in sockets.values():
            await asyncio.gather(*(s.close() for s in group), return_exceptions=True)
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        if layer is not None:
            await layer.flush()

    per_kind = {}
    for kind in kinds:
        per_delivery: list[float] = []
        slowest: list[float] = []
        lost = 0
        for seq in range(args.warmup, args.warmup + args.events):
            t0 = sent_at[(kind, seq)]
            latencies = [(at - t0) * 1000 for at in deliveries.received[(kind, seq)].values()
                         if at - t0 <= args.timeout]
            lost += args.clients - len(latencies)
            per_delivery.extend(latencies)
            if latencies:
                slowest.append(max(latencies))
        per_kind[kind] = {
            "delivery_ms": summarise(per_delivery), "slowest_ms": summarise(slowest),
            "post_ms": summarise(post_ms[kind]) if kind != "raw" else None,
            "delivered": len(per_delivery), "lost": lost, "duplicates": deliveries.duplicates[kind],
        }
    return {"clients": args.clients, "events": args.events, "warmup": args.warmup, "web": len(urls),
            "connect_s": connect_s, "measured_s": round(loop_s, 2), "web_cpu_s": round(cpu_web, 2),
            "wrong_socket": deliveries.wrong_socket, "kinds": per_kind}


def fmt(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["embedded", "production"], required=True)
    parser.add_argument("--clients", type=int, default=50, help="sockets of each kind (default 50)")
    parser.add_argument("--events", type=int, default=100, help="measured events of each kind (default 100)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured rounds first (default 3)")
    parser.add_argument("--web", type=int, default=1, help="web processes (production only for more than 1)")
    parser.add_argument("--kinds", default="harbour,bare,raw", help="subset of harbour,bare,raw (default all)")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-event delivery timeout, seconds")
    parser.add_argument("--target", type=float, default=1.5, help="PASS when Harbour / reference <= this")
    parser.add_argument("--connect-concurrency", type=int, default=20, help="sockets opening at once")
    parser.add_argument("--json", metavar="PATH", help="append one JSON line with the whole result to PATH")
    args = parser.parse_args()
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if not kinds or set(kinds) - set(KINDS):
        parser.error(f"--kinds takes some of {','.join(KINDS)}")
    kinds = [k for k in KINDS if k in kinds]
    if not 1 <= args.clients <= 2000 or not 1 <= args.events <= 10000 or not 0 < args.timeout <= 60:
        parser.error("need 1 <= clients <= 2000, 1 <= events <= 10000 and 0 < timeout <= 60")
    if not 1 <= args.web <= 4 or (args.web > 1 and args.mode != "production"):
        parser.error("--web 2..4 needs --mode production (the in-memory layer does not cross processes)")
    check_mode(args.mode)
    raw_note = None
    if args.mode == "embedded" and "raw" in kinds:
        kinds.remove("raw")
        raw_note = "not applicable in embedded mode: the in-memory layer lives inside the web process"
    commit = git_commit()

    print(f"Starting a {args.mode} stack with the bare overlay, {args.web} web process(es)…", file=sys.stderr)
    with bench_stack(args.mode, web=args.web, settings=BARE_SETTINGS, asgi=BARE_ASGI) as stack:
        result = asyncio.run(run(stack, args, kinds))
        stack.check_alive()

    per_kind = result["kinds"]
    checks = []  # (label, value, target, verdict)
    if "harbour" in per_kind:
        h = per_kind["harbour"]
        for reference in ("raw", "bare"):
            if reference not in per_kind:
                continue
            ref = per_kind[reference]
            for series in ("delivery_ms", "slowest_ms"):
                for pct in ("p50", "p99"):
                    value = ratio(h[series][pct], ref[series][pct])
                    checks.append((f"harbour / {reference} {series.removesuffix('_ms')} {pct}", value,
                                   f"≤ {args.target}x", "PASS" if value <= args.target else "FAIL"))
    lost = sum(k["lost"] for k in per_kind.values())
    checks.append(("lost deliveries (all kinds)", lost, "0", "PASS" if lost == 0 else "FAIL"))
    result["checks"] = [{"check": c[0], "value": c[1], "target": c[2], "verdict": c[3]} for c in checks]
    result["raw_note"] = raw_note
    append_jsonl(args.json, {"bench": "live_vs_raw", "mode": args.mode, "commit": commit, **result})

    print(f"\nlive delivery, {args.mode}, {result['web']} web process(es), {args.clients} sockets per kind, "
          f"{args.events} events per kind, interleaved; sockets opened in {result['connect_s']} s; "
          f"web CPU {result['web_cpu_s']} s over {result['measured_s']} s")
    print("| kind | delivery ms p50 / p99 / max | slowest client per event ms p50 / p99 / max "
          "| POST ms p50 / p99 | delivered | lost | duplicates |\n|---|---|---|---|---|---|---|")
    for kind in KINDS:
        if kind not in per_kind:
            print(f"| {kind} | {raw_note or 'not run'} | | | | | |")
            continue
        k = per_kind[kind]
        d, s, p = k["delivery_ms"], k["slowest_ms"], k["post_ms"]
        post = f"{fmt(p['p50'])} / {fmt(p['p99'])}" if p else "— (no HTTP)"
        print(f"| {kind} | {fmt(d['p50'])} / {fmt(d['p99'])} / {fmt(d['max'])} "
              f"| {fmt(s['p50'])} / {fmt(s['p99'])} / {fmt(s['max'])} | {post} | {k['delivered']} "
              f"| {k['lost']} | {k['duplicates']} |")
    print("\n| check | value | target | verdict |\n|---|---|---|---|")
    for label, value, target, verdict in checks:
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        print(f"| {label} | {shown} | {target} | {verdict} |")
    if any(c[3] == "FAIL" for c in checks):
        sys.exit(1)


if __name__ == "__main__":
    main()
