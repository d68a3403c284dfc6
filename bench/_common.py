"""Shared helpers for the Harbour benchmarks (bench/*.py): mode check, token, lead incident, percentiles, /proc CPU."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tests.servers` lives at the project root, which is not installed

from tests.servers import api_request, harbour_stack, is_postgres_url  # noqa: E402

__all__ = ["PASSWORD", "LEAD", "ROOT", "api_request", "harbour_stack", "check_mode", "token_for",
           "incident_led_by", "percentile", "cpu_seconds", "append_jsonl", "results_of", "git_commit", "ratio"]

LEAD = "dhughes"  # leads the restricted child-death incident in seed_demo
PASSWORD = "harbour-demo"  # noqa: S105 - the published password of every seed_demo person


def check_mode(mode: str) -> None:
    """Production needs PostgreSQL and Redis in the environment; embedded must not inherit them."""
    if mode == "production":
        if not (is_postgres_url(os.environ.get("DATABASE_URL")) and os.environ.get("REDIS_URL")):
            sys.exit("--mode production needs DATABASE_URL=postgres://... and REDIS_URL=redis://... set")
    else:
        # tests.servers picks PostgreSQL whenever DATABASE_URL names one, and settings pick Redis whenever
        # REDIS_URL is set: drop both so "embedded" really is SQLite + the in-memory layer.
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("REDIS_URL", None)


def token_for(base: str, username: str = LEAD) -> str:
    return api_request(f"{base}/api/auth/token/", data={"username": username, "password": PASSWORD})["token"]


def results_of(body):
    """The items of a list answer: a plain JSON list, or a page `{"results": [...], "next": ...}`."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        return body["results"]
    raise RuntimeError(f"not a list answer: {str(body)[:200]}")


def git_commit() -> str:
    """The short commit, with "+dirty" when tracked files outside bench/ differ from it (work in progress)."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    changed = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "--", ".",
                              ":(exclude)bench"], capture_output=True, text=True, check=False).stdout.strip()
    return commit + ("+dirty" if changed else "")


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator and not math.isnan(denominator) else math.nan


def incident_led_by(base: str, token: str, username: str = LEAD) -> int:
    incidents = results_of(api_request(f"{base}/api/incidents/", token=token))
    led = [i["id"] for i in incidents if i["lead"] == username]
    if not led:
        raise RuntimeError(f"no incident led by {username}: {incidents}")
    return led[0]


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100); NaN for an empty list."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a (child) process from /proc, in seconds; NaN when unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14 and 15 of stat)


def append_jsonl(path: str | None, record: dict) -> None:
    if path:
        with open(path, "a") as handle:
            handle.write(json.dumps(record) + "\n")
