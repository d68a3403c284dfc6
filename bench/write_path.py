"""Write path: Harbour's two main creates against a bare DRF create, on the same processes, in one run.

    .venv/bin/python bench/write_path.py --mode embedded --n 200
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/write_path.py --mode production --n 200

One fresh stack (bench/_stack.py: migrated, demo-seeded database; one web process serving
bench/bare_settings.py + bench/bare_asgi.py, i.e. all of Harbour plus the bare endpoints; in production
also one `manage.py worker`). Signed in as dhughes by API token, it POSTs, round-robin:

- **bare**: `POST /bench/bare/create/` `{"name": ...}`: a stock DRF CreateAPIView + ModelSerializer
  inserting one auth.Group row (bench/bare_urls.py): the cost of a DRF create on this database;
- **decision**: `POST /api/incidents/<id>/decisions/` on the restricted incident dhughes leads;
- **incident**: `POST /api/incidents/` opening a new incident (dhughes is a senior leader in seed_demo).

Each round sends one request of each, starting one later in the list each round (bare, decision, incident;
then decision, incident, bare; ...), so drift on a busy machine lands on all three alike. --warmup rounds
come first, unmeasured. A request's time runs from sending it to having read the whole body; every answer
must be 201. With `--client keepalive` (the default) all three share one persistent HTTP/1.1 connection
(http.client), reopened only if the server closes it, so the times are the server's work and no TCP set-up;
`--client urllib` opens a new connection per request, as bench/page_timings.py does.

Printed: p50 / p95 / max per path, and Harbour / bare at p50, PASS when at most --target (1.5); exits 1
when either Harbour path fails. Everything is on 127.0.0.1, every loop is bounded, and the stack is stopped and removed at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from _common import (
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


class KeepAliveClient:
    """One persistent HTTP/1.1 connection for every request; reopened only when the server closes it."""

    name = "keepalive"

    def __init__(self, base: str, timeout: float = 15.0) -> None:
        parts = urllib.parse.urlsplit(base)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.reconnects = 0

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, float]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.reconnects += 1
        started = time.perf_counter()
        self.conn.request("POST", path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.will_close:
            self.close()
        return response.status, data, elapsed

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class UrllibClient:
    """A new loopback TCP connection per request (urllib does not keep connections alive)."""

    name = "urllib"
    reconnects = 0

    def __init__(self, base: str, timeout: float = 15.0) -> None:
        self.base, self.timeout = base, timeout

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, float]:
        request = urllib.request.Request(self.base + path, data=body, headers=headers, method="POST")  # noqa: S310
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - loopback
                data, status = response.read(), response.status
        except urllib.error.HTTPError as error:
            data, status = error.read(), error.code
        return status, data, (time.perf_counter() - started) * 1000

    def close(self) -> None:
        pass


def bodies(run_id: str, incident_id: int):
    """(name, path, body-for-round-i) for each measured path, in the round-robin order."""

    def bare(i: int) -> dict:
        return {"name": f"bench-bare-{run_id}-{i}"}

    def decision(i: int) -> dict:
        return {"decision": f"Benchmark write path {run_id}-{i}: keep the family liaison in place",
                "rationale": "Recorded by bench/write_path.py to time the decision log's create."}

    def incident(i: int) -> dict:
        now = dt.datetime.now(dt.UTC)
        return {"title": f"Benchmark incident {run_id}-{i}", "kind": "other", "severity": "moderate",
                "occurred_at": (now - dt.timedelta(hours=2)).isoformat(),
                "aware_at": (now - dt.timedelta(hours=1)).isoformat(),
                "summary": "Opened by bench/write_path.py to time opening an incident.", "restricted": False}

    return [
        ("bare", "/bench/bare/create/", bare),
        ("decision", f"/api/incidents/{incident_id}/decisions/", decision),
        ("incident", "/api/incidents/", incident),
    ]


def summarise(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 50), "p95": percentile(values, 95), "max": max(values, default=float("nan"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["embedded", "production"], required=True)
    parser.add_argument("--n", type=int, default=200, help="measured POSTs per path (default 200)")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured rounds first (default 5)")
    parser.add_argument("--client", choices=["keepalive", "urllib"], default="keepalive",
                        help="one persistent connection for all (default) or a new connection per request")
    parser.add_argument("--target", type=float, default=1.5, help="PASS when Harbour p50 / bare p50 <= this")
    parser.add_argument("--json", metavar="PATH", help="append one JSON line per path to PATH")
    args = parser.parse_args()
    if not 1 <= args.n <= 5000 or not 0 <= args.warmup <= 100:
        parser.error("need 1 <= n <= 5000 and 0 <= warmup <= 100")
    check_mode(args.mode)
    commit = git_commit()

    print(f"Starting a {args.mode} stack with the bare overlay…", file=sys.stderr)
    with bench_stack(args.mode, settings=BARE_SETTINGS, asgi=BARE_ASGI) as stack:
        base = stack.url
        token = token_for(base)
        incident_id = incident_led_by(base, token)
        paths = bodies(secrets.token_hex(3), incident_id)
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json",
                   "Accept": "application/json"}
        client = KeepAliveClient(base) if args.client == "keepalive" else UrllibClient(base)
        times: dict[str, list[float]] = {name: [] for name, _, _ in paths}
        cpu_web = 0.0
        window_start = time.perf_counter()
        try:
            for i in range(args.warmup + args.n):
                if i == args.warmup:
                    cpu_web = sum(cpu_seconds(c.process.pid) for c in stack.web)
                    window_start = time.perf_counter()
                shift = i % len(paths)
                for name, path, body in paths[shift:] + paths[:shift]:
                    status, data, ms = client.post(path, json.dumps(body(i)).encode(), headers)
                    if status != 201:
                        raise RuntimeError(f"POST {path} answered {status}: {data[:300]!r}")
                    if i >= args.warmup:
                        times[name].append(ms)
                if (i + 1) % 50 == 0:
                    print(f"  {i + 1} rounds", file=sys.stderr)
        finally:
            client.close()
        window_s = time.perf_counter() - window_start
        cpu_web = sum(cpu_seconds(c.process.pid) for c in stack.web) - cpu_web
        stack.check_alive()

    bare = summarise(times["bare"])
    rows = []
    for name, path, _ in paths:
        stats = summarise(times[name])
        r = ratio(stats["p50"], bare["p50"])
        verdict = "" if name == "bare" else ("PASS" if r <= args.target else "FAIL")
        rows.append({"path": name, "url": path, "n": len(times[name]), "ms": stats,
                     "ratio_p50_vs_bare": r, "ratio_p95_vs_bare": ratio(stats["p95"], bare["p95"]),
                     "verdict": verdict})
    shared = {"bench": "write_path", "mode": args.mode, "commit": commit, "client": args.client,
              "target": args.target, "rounds": args.n, "window_s": round(window_s, 2),
              "web_cpu_s": round(cpu_web, 2), "reconnects": client.reconnects}
    for r in rows:
        append_jsonl(args.json, {**shared, **r})

    connections = (f"{client.reconnects} persistent connection(s)" if args.client == "keepalive"
                   else "a new connection per request")
    print(f"\nwrite path, {args.mode}, {args.n} POSTs per path, interleaved, client {args.client} "
          f"({connections}); web CPU {cpu_web:.1f} s over {window_s:.1f} s")
    print("| mode | path | POSTs | p50 ms | p95 ms | max ms | p50 / bare p50 | p95 / bare p95 | "
          f"target ≤ {args.target}x |\n|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ms = r["ms"]
        print(f"| {args.mode} | {r['path']} `{r['url']}` | {r['n']} | {ms['p50']:.1f} | {ms['p95']:.1f} "
              f"| {ms['max']:.1f} | {r['ratio_p50_vs_bare']:.2f} | {r['ratio_p95_vs_bare']:.2f} | {r['verdict']} |")
    if any(r["verdict"] == "FAIL" for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
