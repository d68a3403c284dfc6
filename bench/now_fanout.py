"""The "What needs you now" socket under fan-out, against the bare stack in the same run.

    .venv/bin/python bench/now_fanout.py --mode embedded --clients 20,100
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/now_fanout.py --mode production --clients 20,100 --json bench/results.jsonl

One fresh stack (bench/_stack.py: migrated, demo-seeded database; one web process serving
bench/bare_settings.py + bench/bare_asgi.py, i.e. all of Harbour plus the bare endpoints and socket; in
production also one `manage.py worker`), started with HARBOUR_NOW_SETTLE_MS=--settle-ms (default 50, the
app's default is 300). Before the servers start, max(--clients) people `nowbench000…` are made and added
through the service (`member_add`, actor dhughes) as **tactical leads** of the restricted incident dhughes
leads, each with an API token: they are all that incident's command, so a decision due for review within
24 h is on every one of their Now lists (incidents/now.py `incident_now`).

The write is `POST /api/incidents/<id>/decisions/` as dhughes with `review_at` one hour ahead and `reviews`
naming the previous such decision: every watcher's list then swaps the old review for the new one (so it
really changes, and stays one item long however many writes the run makes). Only one write is in flight at
a time, each from a thread so the socket readers keep reading.

A Now socket is `/ws/me/now/?seen=bench` with the person's token. The bogus digest makes the consumer send
`now.changed` once it has joined its groups and read the list: that round trip proves it is subscribed.

**Part 1: the cost to a write of N open Now sockets.** Blocks with 0, each N of --clients, then 0 again
Now sockets open (one person each). In each block, --writes rounds of two POSTs back to back, the order
alternating: the decision above, and a bare `POST /bench/bare/create/` (stock DRF insert, no broadcast) as
a witness of what the open sockets cost any other request on the same process. Writes come as fast as the
answers do (closed loop): the Now sockets' re-reads after one write run while the next ones are served,
which is what a busy incident does to the process. The Now messages received in the block are counted.

**Part 2: delivery.** For each N: N Now sockets (N people) and N bare sockets (`/ws/bench/bare/`, a stock
consumer, proven subscribed by ping/pong). Then --events rounds of one event of each kind, order rotating:

- **now**: the decision above → `now.changed` at each of the N Now sockets; the time includes the settle
  delay (HARBOUR_NOW_SETTLE_MS; nothing is subtracted) and each socket's re-read of its person's list;
- **bare**: `POST /bench/bare/create-and-send/` (stock DRF insert, raw `group_send` on commit) → each bare
  socket;
- **raw** (production only): `group_send("bench.bare", ...)` from this process on a pub/sub layer built
  as config/settings.py builds it → each bare socket.

Latency runs from just before the POST (or group_send) to a socket's receipt, one perf_counter clock in
this process. Not seen within --timeout: lost. A second `now.changed` on one socket for one write:
duplicate. After the rounds, --quiet writes that change nobody's list (a decision with no review time and
reviewing nothing) must bring no `now.changed` within --quiet-s each: any that do are counted as spurious.

Everything is on 127.0.0.1, every loop is bounded, and the stack (processes, database, temporary files)
is stopped and removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import secrets
import sys
import time
from collections import defaultdict
from pathlib import Path

from _common import (
    api_request,
    append_jsonl,
    check_mode,
    cpu_seconds,
    git_commit,
    percentile,
    ratio,
    token_for,
)
from _stack import BARE_ASGI, BARE_SETTINGS, bench_stack
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.servers import run_python

BARE_GROUP = "bench.bare"  # bench/bare_settings.py BENCH_BARE_GROUP
PEOPLE_FILE = "now_fanout_people.json"

# Run before the servers start, on the stack's fresh database (argv: count, output file).
_MAKE_WATCHERS = """
import json, os, sys
import django
django.setup()
from people.models import User
from incidents.models import Incident, MemberRole
from incidents.tokens import api_token_make
from incidents.membership import member_add

count, out = int(sys.argv[1]), sys.argv[2]
lead = User.objects.get(username="dhughes")
incident = (Incident.objects.filter(restricted=True, memberships__user=lead, memberships__role=MemberRole.LEAD,
                                    memberships__removed_at__isnull=True).order_by("pk").first())
people = []
for i in range(count):
    person = User.objects.create_user(username=f"nowbench{i:03d}", email=f"nowbench{i:03d}@example.org",
                                      full_name=f"Now Watcher {i:03d}", password=None)
    member_add(actor=lead, incident_id=incident.pk, user=person, role=MemberRole.TACTICAL_LEAD,
               reason="Watches the Now page for bench/now_fanout.py")
    people.append({"username": person.username, "token": api_token_make(actor=person, name="bench")[1]})
with open(out, "w") as handle:
    json.dump({"incident": incident.pk, "people": people}, handle)
"""


def summarise(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 50), "p95": percentile(values, 95), "max": max(values, default=math.nan),
            "n": len(values)}


class Receipts:
    """Every message the sockets receive, attributed to the event in flight of its kind."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.current_now: int | None = None  # the write whose now.changed messages are awaited
        self.expected = 0
        self.received: dict[tuple[str, int], dict[int, float]] = defaultdict(dict)
        self.done: dict[tuple[str, int], asyncio.Event] = {}
        self.duplicates: dict[str, int] = defaultdict(int)
        self.unattributed_now = 0  # now.changed with no awaited write (part 1, or the quiet writes)
        self.now_per_socket: dict[int, int] = defaultdict(int)
        self.other = 0

    def done_event(self, key: tuple[str, int]) -> asyncio.Event:
        return self.done.setdefault(key, asyncio.Event())

    def _got(self, key: tuple[str, int], client: int, now: float) -> None:
        got = self.received[key]
        if client in got:
            self.duplicates[key[0]] += 1
            return
        got[client] = now
        if len(got) == self.expected:
            self.done_event(key).set()

    def on_now(self, client: int, raw: str | bytes, now: float) -> None:
        message = json.loads(raw)
        if message.get("type") != "now.changed":
            self.other += 1
            return
        self.now_per_socket[client] += 1
        if self.current_now is None:
            self.unattributed_now += 1
        else:
            self._got(("now", self.current_now), client, now)

    def on_bare(self, client: int, raw: str | bytes, now: float) -> None:
        message = json.loads(raw)
        name = (message.get("payload") or {}).get("name") or ""
        if message.get("type") != "bare.message" or not name.startswith(f"nf-{self.run_id}-"):
            self.other += 1
            return
        _, _, kind, seq = name.split("-")
        self._got((kind, int(seq)), client, now)


async def read_forever(socket: ClientConnection, handle, client: int, closed: list[int]) -> None:
    try:
        async for raw in socket:
            handle(client, raw, time.perf_counter())
    except ConnectionClosed:
        pass
    closed.append(client)


async def open_now(base: str, token: str, gate: asyncio.Semaphore) -> ClientConnection:
    async with gate:
        url = base.replace("http://", "ws://") + "/ws/me/now/?seen=bench"
        socket = await connect(url, origin=base, additional_headers={"Authorization": f"Token {token}"},
                               open_timeout=30, close_timeout=2)
        try:
            async with asyncio.timeout(30):  # the bogus digest is answered once the list has been read
                while json.loads(await socket.recv()).get("type") != "now.changed":
                    pass
        except BaseException:
            await socket.close()
            raise
        return socket


async def open_bare(base: str, token: str, gate: asyncio.Semaphore) -> ClientConnection:
    async with gate:
        socket = await connect(base.replace("http://", "ws://") + "/ws/bench/bare/", origin=base,
                               additional_headers={"Authorization": f"Token {token}"}, open_timeout=30,
                               close_timeout=2)
        try:
            await socket.send(json.dumps({"type": "ping"}))
            async with asyncio.timeout(15):
                while json.loads(await socket.recv()).get("type") != "pong":
                    pass
        except BaseException:
            await socket.close()
            raise
        return socket


async def open_all(opener, base: str, tokens: list[str], gate: asyncio.Semaphore) -> list[ClientConnection]:
    results = await asyncio.gather(*(opener(base, t, gate) for t in tokens), return_exceptions=True)
    sockets = [r for r in results if isinstance(r, ClientConnection)]
    failures = [r for r in results if not isinstance(r, ClientConnection)]
    if failures:
        await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
        raise RuntimeError(f"{len(failures)} of {len(tokens)} sockets failed to open: {failures[0]!r}")
    return sockets


async def close_all(sockets: list[ClientConnection], readers: list[asyncio.Task]) -> None:
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)


class Writer:
    """The list-changing decision: due for review in an hour, reviewing the previous one."""

    def __init__(self, base: str, token: str, incident_id: int, run_id: str) -> None:
        self.url = f"{base}/api/incidents/{incident_id}/decisions/"
        self.token, self.run_id = token, run_id
        self.previous: int | None = None
        self.count = 0

    def decision(self, changes_lists: bool = True) -> None:
        self.count += 1
        body = {"decision": f"Now fan-out nf-{self.run_id}-w{self.count}",
                "rationale": "Recorded by bench/now_fanout.py."}
        if changes_lists:
            review = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
            body |= {"review_at": review.isoformat(), "reviews": self.previous}
        answer = api_request(self.url, token=self.token, data=body)
        if changes_lists:
            self.previous = answer["id"]


def web_cpu(stack) -> float:
    return sum(cpu_seconds(c.process.pid) for c in stack.web)


async def write_cost_block(stack, args, writer: Writer, token: str, people: list[dict], n: int,
                           run_id: str, block: int) -> dict:
    base = stack.url
    receipts = Receipts(run_id)
    closed: list[int] = []
    gate = asyncio.Semaphore(args.connect_concurrency)
    started = time.perf_counter()
    sockets = await open_all(open_now, base, [p["token"] for p in people[:n]], gate) if n else []
    connect_s = time.perf_counter() - started
    readers = [asyncio.create_task(read_forever(s, receipts.on_now, i, closed)) for i, s in enumerate(sockets)]
    times: dict[str, list[float]] = {"decision": [], "bare": []}
    try:
        await asyncio.sleep(1)  # let the opening reads finish before the first write
        cpu0, wall0 = web_cpu(stack), time.perf_counter()
        for i in range(args.warmup + args.writes):
            order = ("decision", "bare") if i % 2 == 0 else ("bare", "decision")
            for kind in order:
                t0 = time.perf_counter()
                if kind == "decision":
                    await asyncio.to_thread(writer.decision)
                else:
                    await asyncio.to_thread(api_request, f"{base}/bench/bare/create/", token=token,
                                            data={"name": f"nf-{run_id}-c{block}x{i}"})
                if i >= args.warmup:
                    times[kind].append((time.perf_counter() - t0) * 1000)
            if i == args.warmup - 1:
                cpu0, wall0 = web_cpu(stack), time.perf_counter()
        measured_s = time.perf_counter() - wall0
        cpu_s = web_cpu(stack) - cpu0
        await asyncio.sleep(min(5.0, 1 + 3 * args.settle_ms / 1000))  # the last writes' messages
        dropped = len(closed)  # before our own close, a closed socket is one the server dropped
        stack.check_alive()
    finally:
        await close_all(sockets, readers)
    return {"part": "write_cost", "block": block, "now_sockets": n, "writes": args.writes,
            "connect_s": round(connect_s, 2), "measured_s": round(measured_s, 2), "web_cpu_s": round(cpu_s, 2),
            "web_cpu_ms_per_round": round(1000 * cpu_s / args.writes, 1),
            "decision_ms": summarise(times["decision"]), "bare_create_ms": summarise(times["bare"]),
            "now_changed_received": receipts.unattributed_now,
            "now_changed_per_socket_max": max(receipts.now_per_socket.values(), default=0),
            "now_changed_per_socket_min": min((receipts.now_per_socket.get(i, 0) for i in range(n)), default=0),
            "sockets_dropped": dropped}


async def delivery_round(stack, args, writer: Writer, token: str, people: list[dict], n: int, run_id: str,
                         kinds: list[str]) -> dict:
    base = stack.url
    run_id = f"{run_id}n{n}"  # bare names are unique (auth.Group): one prefix per round
    receipts = Receipts(run_id)
    receipts.expected = n
    closed_now: list[int] = []
    closed_bare: list[int] = []
    gate = asyncio.Semaphore(args.connect_concurrency)
    layer = None
    if "raw" in kinds:
        from channels_redis.pubsub import RedisPubSubChannelLayer

        layer = RedisPubSubChannelLayer(hosts=[os.environ["REDIS_URL"]], prefix=stack.env["CHANNEL_LAYER_PREFIX"])
    now_sockets: list[ClientConnection] = []
    bare_sockets: list[ClientConnection] = []
    readers: list[asyncio.Task] = []
    connect_s = {}
    try:
        started = time.perf_counter()
        now_sockets = await open_all(open_now, base, [p["token"] for p in people[:n]], gate)
        connect_s["now"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        bare_sockets = await open_all(open_bare, base, [token] * n, gate)
        connect_s["bare"] = round(time.perf_counter() - started, 2)
        readers = [asyncio.create_task(read_forever(s, receipts.on_now, i, closed_now))
                   for i, s in enumerate(now_sockets)]
        readers += [asyncio.create_task(read_forever(s, receipts.on_bare, i, closed_bare))
                    for i, s in enumerate(bare_sockets)]
        await asyncio.sleep(1)
        print(f"  {n} Now + {n} bare sockets open: {connect_s}", file=sys.stderr)

        sent_at: dict[tuple[str, int], float] = {}
        post_ms: dict[str, list[float]] = defaultdict(list)
        cpu0 = wall0 = 0.0
        for seq in range(args.warmup + args.events):
            if seq == args.warmup:
                cpu0, wall0 = web_cpu(stack), time.perf_counter()
            shift = seq % len(kinds)
            for kind in kinds[shift:] + kinds[:shift]:
                key = (kind, seq)
                t0 = time.perf_counter()
                if kind == "now":
                    receipts.current_now = seq
                    t0 = time.perf_counter()
                    await asyncio.to_thread(writer.decision)
                elif kind == "bare":
                    await asyncio.to_thread(api_request, f"{base}/bench/bare/create-and-send/", token=token,
                                            data={"name": f"nf-{run_id}-bare-{seq}"})
                else:
                    await layer.group_send(BARE_GROUP, {"type": "bare.message",
                                                        "payload": {"id": seq, "name": f"nf-{run_id}-raw-{seq}"}})
                t1 = time.perf_counter()
                sent_at[key] = t0
                if seq >= args.warmup and kind != "raw":
                    post_ms[kind].append((t1 - t0) * 1000)
                try:
                    async with asyncio.timeout(max(0.0, t0 + args.timeout - time.perf_counter())):
                        await receipts.done_event(key).wait()
                except TimeoutError:
                    pass  # counted as lost below
                if kind == "now":
                    # Room for a second now.changed for this write (a duplicate) to show up as one.
                    await asyncio.sleep(args.settle_ms / 1000 + 0.05)
            if (seq + 1) % 10 == 0:
                print(f"    {seq + 1} rounds", file=sys.stderr)
                stack.check_alive()
        measured_s = time.perf_counter() - wall0
        cpu_s = web_cpu(stack) - cpu0

        # Writes that change nobody's list: no now.changed may follow.
        receipts.current_now = None
        quiet_before = receipts.unattributed_now
        for _ in range(args.quiet):
            await asyncio.to_thread(writer.decision, False)
            await asyncio.sleep(args.quiet_s)
        spurious = receipts.unattributed_now - quiet_before
        dropped = {"now": len(closed_now), "bare": len(closed_bare)}
        stack.check_alive()
    finally:
        await close_all(now_sockets + bare_sockets, readers)
        if layer is not None:
            await layer.flush()

    per_kind = {}
    for kind in kinds:
        per_delivery: list[float] = []
        slowest: list[float] = []
        first: list[float] = []
        lost = 0
        for seq in range(args.warmup, args.warmup + args.events):
            t0 = sent_at[(kind, seq)]
            latencies = [(at - t0) * 1000 for at in receipts.received[(kind, seq)].values()
                         if at - t0 <= args.timeout]
            lost += n - len(latencies)
            per_delivery.extend(latencies)
            if latencies:
                slowest.append(max(latencies))
                first.append(min(latencies))
        per_kind[kind] = {"delivery_ms": summarise(per_delivery), "slowest_ms": summarise(slowest),
                          "first_ms": summarise(first),
                          "post_ms": summarise(post_ms[kind]) if kind != "raw" else None,
                          "delivered": len(per_delivery), "lost": lost, "duplicates": receipts.duplicates[kind]}
    return {"part": "delivery", "clients": n, "events": args.events, "warmup": args.warmup,
            "connect_s": connect_s, "measured_s": round(measured_s, 2), "web_cpu_s": round(cpu_s, 2),
            "quiet_writes": args.quiet, "quiet_s": args.quiet_s, "spurious_now_changed": spurious,
            "other_messages": receipts.other, "sockets_dropped": dropped,
            "kinds": per_kind}


def fmt(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["embedded", "production"], required=True)
    parser.add_argument("--clients", default="20,100", help="comma-separated Now socket counts (default 20,100)")
    parser.add_argument("--writes", type=int, default=60, help="part 1: measured rounds per block (default 60)")
    parser.add_argument("--events", type=int, default=30, help="part 2: measured events per kind and N (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured rounds first, in each block (default 3)")
    parser.add_argument("--settle-ms", type=int, default=50,
                        help="HARBOUR_NOW_SETTLE_MS for the servers (default 50; the app's default is 300)")
    parser.add_argument("--timeout", type=float, default=15.0, help="per-event delivery timeout, seconds")
    parser.add_argument("--quiet", type=int, default=2, help="writes that change no list, after each N (default 2)")
    parser.add_argument("--quiet-s", type=float, default=3.0, help="how long to listen after each (default 3 s)")
    parser.add_argument("--parts", default="cost,delivery", help="cost, delivery or both (default both)")
    parser.add_argument("--connect-concurrency", type=int, default=20, help="sockets opening at once")
    parser.add_argument("--json", metavar="PATH", help="append one JSON line per block and per N to PATH")
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",") if c.strip()]
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    if not counts or min(counts) < 1 or max(counts) > 500 or parts - {"cost", "delivery"} or not parts:
        parser.error("need 1 <= clients <= 500 and --parts of cost,delivery")
    if not 1 <= args.writes <= 2000 or not 1 <= args.events <= 1000 or not 0 < args.timeout <= 60:
        parser.error("need 1 <= writes <= 2000, 1 <= events <= 1000 and 0 < timeout <= 60")
    if not 0 <= args.settle_ms <= 5000 or not 0 <= args.quiet <= 20 or not 0 < args.quiet_s <= 30:
        parser.error("need 0 <= settle-ms <= 5000, 0 <= quiet <= 20 and 0 < quiet-s <= 30")
    check_mode(args.mode)
    os.environ["HARBOUR_NOW_SETTLE_MS"] = str(args.settle_ms)  # inherited by the servers
    kinds = ["now", "bare"] + (["raw"] if args.mode == "production" else [])
    commit = git_commit()
    run_id = secrets.token_hex(3)
    people_count = max(counts)
    setup: dict = {}

    def make_watchers(env: dict[str, str], log: Path) -> None:
        started = time.perf_counter()
        out = log.parent / PEOPLE_FILE
        run_python(env, _MAKE_WATCHERS, str(people_count), str(out), log=log)
        setup.update(json.loads(out.read_text()))
        setup["setup_s"] = round(time.perf_counter() - started, 1)

    print(f"Starting a {args.mode} stack with the bare overlay, HARBOUR_NOW_SETTLE_MS={args.settle_ms}, "
          f"{people_count} watchers…", file=sys.stderr)
    results: list[dict] = []
    common = {"bench": "now_fanout", "mode": args.mode, "commit": commit, "settle_ms": args.settle_ms}
    with bench_stack(args.mode, web=1, settings=BARE_SETTINGS, asgi=BARE_ASGI, before_start=make_watchers) as stack:
        print(f"  watchers made in {setup['setup_s']} s on incident {setup['incident']}", file=sys.stderr)
        token = token_for(stack.url)
        people = setup["people"]
        writer = Writer(stack.url, token, setup["incident"], run_id)
        if "cost" in parts:
            for block, n in enumerate([0, *counts, 0]):
                print(f"  part 1, block {block}: {n} Now sockets, {args.writes} rounds…", file=sys.stderr)
                result = asyncio.run(write_cost_block(stack, args, writer, token, people, n, run_id, block))
                print("  " + json.dumps(result), file=sys.stderr)
                results.append(result)
                append_jsonl(args.json, {**common, **result})
                time.sleep(1)
        if "delivery" in parts:
            for n in counts:
                print(f"  part 2: {n} sockets of each kind, {args.events} events per kind…", file=sys.stderr)
                result = asyncio.run(delivery_round(stack, args, writer, token, people, n, run_id, kinds))
                print("  " + json.dumps(result), file=sys.stderr)
                results.append(result)
                append_jsonl(args.json, {**common, **result})
                time.sleep(1)
        stack.check_alive()

    print(f"\nNow socket fan-out, {args.mode}, HARBOUR_NOW_SETTLE_MS={args.settle_ms}, commit {commit}")
    cost = [r for r in results if r["part"] == "write_cost"]
    if cost:
        zero = [r for r in cost if r["now_sockets"] == 0]
        base_d = sum(r["decision_ms"]["p50"] for r in zero) / len(zero)
        base_d95 = sum(r["decision_ms"]["p95"] for r in zero) / len(zero)
        base_b = sum(r["bare_create_ms"]["p50"] for r in zero) / len(zero)
        print("\nPart 1: write latency with N Now sockets open (ms; ratios against the mean of the two 0 blocks)")
        print("| Now sockets | decision p50 / p95 | × 0 at p50 / p95 | bare create p50 / p95 | × 0 at p50 "
              "| web CPU ms per round | now.changed received (per socket min–max) |\n|---|---|---|---|---|---|---|")
        for r in cost:
            d, b = r["decision_ms"], r["bare_create_ms"]
            print(f"| {r['now_sockets']} | {fmt(d['p50'])} / {fmt(d['p95'])} | {ratio(d['p50'], base_d):.2f} / "
                  f"{ratio(d['p95'], base_d95):.2f} | {fmt(b['p50'])} / {fmt(b['p95'])} | {ratio(b['p50'], base_b):.2f} "
                  f"| {r['web_cpu_ms_per_round']} | {r['now_changed_received']} ({r['now_changed_per_socket_min']}"
                  f"–{r['now_changed_per_socket_max']}) |")
    deliveries = [r for r in results if r["part"] == "delivery"]
    if deliveries:
        print("\nPart 2: write → socket (ms; now includes the settle delay)")
        print("| N | kind | delivery p50 / p95 / max | first socket p50 | slowest socket per event p50 / p95 "
              "| POST p50 | lost | dup | now ÷ kind at p50 / p95 (delivery) |\n|---|---|---|---|---|---|---|---|---|")
        for r in deliveries:
            now = r["kinds"]["now"]
            for kind, k in r["kinds"].items():
                d, s, f, p = k["delivery_ms"], k["slowest_ms"], k["first_ms"], k["post_ms"]
                ratios = ("—" if kind == "now" else
                          f"{ratio(now['delivery_ms']['p50'], d['p50']):.1f} / {ratio(now['delivery_ms']['p95'], d['p95']):.1f}")
                print(f"| {r['clients']} | {kind} | {fmt(d['p50'])} / {fmt(d['p95'])} / {fmt(d['max'])} "
                      f"| {fmt(f['p50'])} | {fmt(s['p50'])} / {fmt(s['p95'])} "
                      f"| {fmt(p['p50']) if p else '— (no HTTP)'} | {k['lost']} | {k['duplicates']} | {ratios} |")
            print(f"|  | (N={r['clients']}: web CPU {r['web_cpu_s']} s over {r['measured_s']} s; "
                  f"{r['spurious_now_changed']} now.changed after {r['quiet_writes']} list-neutral writes; "
                  f"sockets dropped {r['sockets_dropped']}) | | | | | | | |")
    bad = sum(k["lost"] + k["duplicates"] for r in deliveries for k in r["kinds"].values())
    bad += sum(r["spurious_now_changed"] for r in deliveries)
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
