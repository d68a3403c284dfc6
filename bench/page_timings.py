"""Page and API timings: wall-clock time of GETs against one Harbour stack, as dhughes.

    .venv/bin/python bench/page_timings.py --mode embedded
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/page_timings.py --mode production

Starts a fresh stack (tests/servers.py), signs in through the real login form with the standard library
only (urllib + http.cookiejar: GET /login/ for the CSRF token, POST the form with it and a Referer), then
times --requests sequential GETs of each path after --warmup unmeasured ones. The anonymous /login/ form
is timed first as a baseline for the server's fixed cost per request. Pages use the session
cookie; API paths use token authentication. Each request is a new loopback TCP connection (urllib does
not keep connections alive); the time covers sending the request and reading the whole body.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import sys
import time
import urllib.parse
import urllib.request

from _common import (
    LEAD,
    PASSWORD,
    append_jsonl,
    check_mode,
    git_commit,
    harbour_stack,
    incident_led_by,
    percentile,
    token_for,
)

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def log_in(base: str, username: str = LEAD) -> urllib.request.OpenerDirector:
    """An opener holding a signed-in session, via the login form as a browser would do it."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/login/", timeout=15) as response:
        html = response.read().decode()
    match = CSRF_INPUT.search(html)
    csrf = match[1] if match else next((c.value for c in jar if c.name == "csrftoken"), None)
    if not csrf:
        raise RuntimeError("no CSRF token on /login/")
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "username": username, "password": PASSWORD,
                                   "next": "/"}).encode()
    request = urllib.request.Request(f"{base}/login/", data=form, method="POST")  # noqa: S310 - our loopback stack
    request.add_header("Referer", f"{base}/login/")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with opener.open(request, timeout=15) as response:  # follows the 302 to /
        landed = urllib.parse.urlsplit(response.geturl()).path
    if landed.startswith("/login/") or not any(c.name == "sessionid" for c in jar):
        raise RuntimeError(f"sign-in as {username} failed (landed on {landed})")
    return opener


def timed_get(opener: urllib.request.OpenerDirector, url: str, headers: dict[str, str]) -> tuple[float, int]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http:// URL of our loopback stack
    started = time.perf_counter()
    with opener.open(request, timeout=15) as response:
        body = response.read()
        status = response.status
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise RuntimeError(f"GET {url} answered {status}")
    return elapsed, len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["embedded", "production"], required=True)
    parser.add_argument("--requests", type=int, default=30, help="measured GETs per path (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured GETs per path first (default 3)")
    parser.add_argument("--json", metavar="PATH", help="append one JSON line per path to PATH")
    args = parser.parse_args()
    if not 1 <= args.requests <= 1000 or not 0 <= args.warmup <= 100:
        parser.error("need 1 <= requests <= 1000 and 0 <= warmup <= 100")
    check_mode(args.mode)
    commit = git_commit()

    print(f"Starting a {args.mode} stack…", file=sys.stderr)
    rows = []
    with harbour_stack(args.mode, web=1, workers=1) as stack:
        base = stack.url
        token = token_for(base)
        incident_id = incident_led_by(base, token)
        session = log_in(base)
        plain = urllib.request.build_opener()  # no cookies: the API calls authenticate by token alone
        page = {"Accept": "text/html"}
        api = {"Accept": "application/json", "Authorization": f"Token {token}"}
        targets = [
            ("/login/", plain, page),  # baseline: an anonymous, nearly query-free page
            ("/", session, page),
            (f"/incidents/{incident_id}/", session, page),
            (f"/incidents/{incident_id}/panels/timeline/", session, page),
            ("/api/incidents/", plain, api),
            (f"/api/incidents/{incident_id}/timeline/", plain, api),
        ]
        for path, opener, headers in targets:
            for _ in range(args.warmup):
                timed_get(opener, base + path, headers)
            samples = [timed_get(opener, base + path, headers) for _ in range(args.requests)]
            times = [ms for ms, _ in samples]
            result = {"path": path, "requests": args.requests, "p50_ms": percentile(times, 50),
                      "p95_ms": percentile(times, 95), "max_ms": max(times), "bytes": samples[-1][1]}
            rows.append(result)
            print(f"  {path}: p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms", file=sys.stderr)
            append_jsonl(args.json, {"bench": "page_timings", "mode": args.mode, "commit": commit, **result})
        stack.check_alive()

    print("| mode | path | GETs | p50 ms | p95 ms | max ms | body bytes |\n|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {args.mode} | `{r['path']}` | {r['requests']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} "
              f"| {r['max_ms']:.1f} | {r['bytes']} |")


if __name__ == "__main__":
    main()
