"""Scale: every incident page and endpoint on a large incident against a small one, in one run.

    .venv/bin/python bench/scale.py --mode embedded [--scale 1.0]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/scale.py --mode production [--scale 1.0]

One fresh stack (bench/_stack.py: migrated, demo-seeded database; one web process; in production also one
`manage.py worker`). Before any server starts, `manage.py seed_large --scale S --lead dhughes` fills the
database (demo/management/commands/seed_large.py; at --scale 1.0 it takes minutes). Its last stdout
line is JSON naming the large and the small incident, both led by the lead, and the counts it created.

Then, signed in as the lead (the real login form for pages, an API token for the API), each path is
fetched for the small and the large incident, alternately: --warmup of each first, then --requests of
each. A request's time runs from sending it to having read the whole body, on a new loopback connection
each time (urllib, as bench/page_timings.py). Per path it records p50, max and body bytes, and prints
large / small for p50 time and for body, PASS when at most --target (3). Every request, warm-ups
included, is also checked against --limit-ms (1000 ms): any slower one is flagged.

The person-level pages (the incident list, the inbox, the approvals board) have no small/large pair: the
lead (who leads the large incident) is compared with --small-person (a demo person with few items), with
the same checks. The CSV export (`timeline.csv`) holds the whole timeline by design, so its body is not
held to the ratio; its time is. Answers other than 200 are reported as errors.

`--seed-script PATH` runs `python PATH --scale S --lead USER` instead of `manage.py seed_large` (same
interface; for trying this script before seed_large exists). Exits 1 when any check fails. Everything is
on 127.0.0.1, every loop is bounded, and the stack is stopped and removed at the end.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from _common import LEAD, ROOT, append_jsonl, check_mode, git_commit, percentile, ratio, token_for
from _stack import bench_stack
from page_timings import log_in

from tests.servers import MANAGE, PYTHON, child_env

# (label, path template, session page or token API, body held to the ratio)
INCIDENT_PATHS = [
    ("page", "/incidents/{id}/", True),
    ("page", "/incidents/{id}/panels/summary/", True),
    ("page", "/incidents/{id}/panels/decisions/", True),
    ("page", "/incidents/{id}/panels/timeline/", True),
    ("page", "/incidents/{id}/panels/history/", True),
    ("page", "/incidents/{id}/panels/members/", True),
    ("page", "/incidents/{id}/comms/", True),
    ("page", "/incidents/{id}/media/", True),
    ("page", "/incidents/{id}/timeline.csv", False),
    ("api", "/api/incidents/{id}/", True),
    ("api", "/api/incidents/{id}/decisions/", True),
    ("api", "/api/incidents/{id}/history/", True),
    ("api", "/api/incidents/{id}/timeline/", True),
    ("api", "/api/incidents/{id}/members/", True),
    ("api", "/api/incidents/{id}/messages/", True),
    ("api", "/api/incidents/{id}/media-enquiries/", True),
]
PERSON_PATHS = [
    ("page", "/", True),
    ("api", "/api/incidents/", True),
    ("page", "/inbox/", True),
    ("api", "/api/inbox/", True),
    ("page", "/approvals/", True),
    ("page", "/approvals/panel/", True),
]


def seed_large(env: dict[str, str], log: Path, args: argparse.Namespace, into: dict) -> None:
    """Run seed_large on the stack's database before the servers start; keep its JSON summary."""
    if args.seed_script:
        argv = [PYTHON, str(Path(args.seed_script).resolve())]
    else:
        argv = [PYTHON, MANAGE, "seed_large", "--not-live"]  # a throw-away database, with DEBUG off
    argv += ["--scale", str(args.scale), "--lead", args.lead]
    print(f"  seeding: {' '.join(argv[1:])} (up to {args.seed_timeout:.0f} s)…", file=sys.stderr)
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=ROOT, env=child_env(env), capture_output=True, text=True,
                            timeout=args.seed_timeout, check=False)
    with log.open("a") as handle:
        handle.write(f"$ {' '.join(argv)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise RuntimeError(f"seed_large failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    if not lines:
        raise RuntimeError("seed_large printed nothing; expected a JSON summary as its last line")
    summary = json.loads(lines[-1])
    for key in ("large_incident", "small_incident"):
        if not isinstance(summary.get(key), int):
            raise RuntimeError(f"seed_large's summary has no {key}: {lines[-1][:500]}")
    summary["wall_s"] = round(time.perf_counter() - started, 1)
    into.update(summary)


def timed_get(opener: urllib.request.OpenerDirector, url: str, headers: dict[str, str],
              timeout: float) -> tuple[float, int, int]:
    """(ms, status, body bytes) of one GET; an HTTP error is an answer too, not an exception."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http:// URL of our loopback stack
    started = time.perf_counter()
    try:
        with opener.open(request, timeout=timeout) as response:
            body, status = response.read(), response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    return (time.perf_counter() - started) * 1000, status, len(body)


def measure_pair(clients: dict, base: str, kind: str, paths: tuple[str, str], args: argparse.Namespace) -> dict:
    """Alternate GETs of the small and the large variant: warm-ups, then the measured ones."""
    samples: dict[str, list[tuple[float, int, int]]] = {"small": [], "large": []}
    every: list[float] = []
    for i in range(args.warmup + args.requests):
        for side, path in (("small", paths[0]), ("large", paths[1])) if i % 2 == 0 else (
                ("large", paths[1]), ("small", paths[0])):
            opener, headers = clients[side][kind]
            ms, status, size = timed_get(opener, base + path, headers, args.request_timeout)
            every.append(ms)
            if status != 200:
                return {"error": f"{side} {path} answered {status}", "slowest_ms": max(every)}
            if i >= args.warmup:
                samples[side].append((ms, status, size))
    out = {"slowest_ms": max(every), "over_limit": sum(ms > args.limit_ms for ms in every)}
    for side, rows in samples.items():
        times = [ms for ms, _, _ in rows]
        out[side] = {"path": paths[0] if side == "small" else paths[1], "p50_ms": percentile(times, 50),
                     "max_ms": max(times), "bytes": int(percentile([b for _, _, b in rows], 50))}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["embedded", "production"], required=True)
    parser.add_argument("--scale", type=float, default=1.0, help="passed to seed_large (default 1.0)")
    parser.add_argument("--lead", default=LEAD, help=f"leads the large and the small incident (default {LEAD})")
    parser.add_argument("--small-person", default="bpatel",
                        help="a demo person with few items, against whom the lead's own pages are compared")
    parser.add_argument("--requests", type=int, default=10, help="measured GETs per path and side (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured GETs per path and side first (default 2)")
    parser.add_argument("--target", type=float, default=3.0, help="PASS when large / small <= this (default 3)")
    parser.add_argument("--limit-ms", type=float, default=1000.0, help="flag any request slower (default 1000)")
    parser.add_argument("--request-timeout", type=float, default=30.0, help="seconds before a GET is abandoned")
    parser.add_argument("--seed-timeout", type=float, default=1800.0, help="seconds seed_large may take")
    parser.add_argument("--seed-script", metavar="PATH", help="run this instead of manage.py seed_large")
    parser.add_argument("--json", metavar="PATH", help="append one JSON line per path to PATH")
    args = parser.parse_args()
    if not 1 <= args.requests <= 200 or not 0 <= args.warmup <= 20 or not 0 < args.scale <= 10:
        parser.error("need 1 <= requests <= 200, 0 <= warmup <= 20 and 0 < scale <= 10")
    check_mode(args.mode)
    commit = git_commit()

    print(f"Starting a {args.mode} stack (seed_large --scale {args.scale})…", file=sys.stderr)
    seeded: dict = {}
    rows = []
    with bench_stack(args.mode, before_start=lambda env, log: seed_large(env, log, args, seeded)) as stack:
        base = stack.url
        print(f"  seeded in {seeded['wall_s']} s: {json.dumps(seeded)}", file=sys.stderr)
        plain = urllib.request.build_opener()  # no cookies: the API authenticates by token alone
        page = {"Accept": "text/html"}

        def clients_for(username: str) -> dict:
            api = {"Accept": "application/json", "Authorization": f"Token {token_for(base, username)}"}
            return {"page": (log_in(base, username), page), "api": (plain, api)}

        lead = clients_for(args.lead)
        small_person = clients_for(args.small_person)
        pairs = []
        for kind, template, body_check in INCIDENT_PATHS:
            paths = (template.format(id=seeded["small_incident"]), template.format(id=seeded["large_incident"]))
            pairs.append(("incident", kind, template, paths, body_check, {"small": lead, "large": lead}))
        for kind, path, body_check in PERSON_PATHS:
            pairs.append(("person", kind, path, (path, path), body_check, {"small": small_person, "large": lead}))
        for scope, kind, template, paths, body_check, clients in pairs:
            result = measure_pair(clients, base, kind, paths, args)
            row = {"scope": scope, "kind": kind, "path": template, "body_checked": body_check, **result}
            if "error" not in result:
                row["time_ratio"] = ratio(result["large"]["p50_ms"], result["small"]["p50_ms"])
                row["body_ratio"] = ratio(result["large"]["bytes"], result["small"]["bytes"])
                failed = (row["time_ratio"] > args.target or (body_check and row["body_ratio"] > args.target)
                          or result["over_limit"])
                row["verdict"] = "FAIL" if failed else "PASS"
                print(f"  {template}: small {result['small']['p50_ms']:.0f} ms, large {result['large']['p50_ms']:.0f} ms"
                      f" ({row['time_ratio']:.2f}x), body {row['body_ratio']:.2f}x", file=sys.stderr)
            else:
                row["verdict"] = "ERROR"
                print(f"  {template}: {result['error']}", file=sys.stderr)
            rows.append(row)
            append_jsonl(args.json, {"bench": "scale", "mode": args.mode, "commit": commit, "scale": args.scale,
                                     "lead": args.lead, "small_person": args.small_person,
                                     "seed": seeded, **row})
        stack.check_alive()

    print(f"\nscale, {args.mode}, seed_large --scale {args.scale}: large incident {seeded['large_incident']}, "
          f"small {seeded['small_incident']}; counts {json.dumps(seeded.get('counts'))}; "
          f"{args.requests} GETs per side after {args.warmup} warm-ups")
    print(f"person-level rows compare {args.lead} (large) with {args.small_person} (small)")
    print(f"| path | small p50 ms | large p50 ms | time large/small | small bytes | large bytes | body large/small "
          f"| slowest request ms | over {args.limit_ms:.0f} ms | target ≤ {args.target}x |\n"
          "|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if r["verdict"] == "ERROR":
            print(f"| `{r['path']}` | {r['error']} | | | | | | {r['slowest_ms']:.0f} | | ERROR |")
            continue
        s, lg = r["small"], r["large"]
        body = f"{r['body_ratio']:.2f}" + ("" if r["body_checked"] else " (export, not held)")
        print(f"| `{r['path']}` | {s['p50_ms']:.1f} | {lg['p50_ms']:.1f} | {r['time_ratio']:.2f} | {s['bytes']} "
              f"| {lg['bytes']} | {body} | {r['slowest_ms']:.0f} | {r['over_limit']} | {r['verdict']} |")
    if any(r["verdict"] != "PASS" for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
