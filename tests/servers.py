"""Real Harbour processes for end-to-end tests: a fresh database, then daphne (and a worker) as children.

Nothing here uses pytest-django's test database: every test that uses these helpers talks to the servers
over HTTP and WebSockets only, so it runs beside ORM tests in one session and needs no `db` fixture.

    with harbour_stack("embedded") as stack:            # manage.py serve: daphne + in-process worker
        stack.url                                        # "http://127.0.0.1:PORT"
    with harbour_stack("production", web=2) as stack:    # plain daphne x2 + one `manage.py worker` process
        stack.urls                                       # ["http://127.0.0.1:P1", "http://127.0.0.1:P2"]

The database is PostgreSQL when DATABASE_URL names a PostgreSQL server (a brand-new `harbour_e2e_<random>`
database on it, dropped at the end), otherwise a SQLite file in a temporary directory. Child logs are
written to that directory and shown when a server fails to start.

The servers run as Harbour runs by default: debugging off. On SQLite they make their secret key once in
the temporary directory (their HARBOUR_VAR_DIR) and share it; on PostgreSQL, where a key must be given,
the stack gives them one. They speak plain HTTP on loopback, so HARBOUR_HTTPS is off (a Secure cookie
would never come back over http://127.0.0.1 and nobody could sign in).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANAGE = str(ROOT / "manage.py")
PYTHON = sys.executable
START_TIMEOUT = 30.0
COMMAND_TIMEOUT = 300.0
LOG_TAIL = 6000

# The test runner's own switches must not leak into the servers under test: with DJANGO_ALLOW_ASYNC_UNSAFE
# a child would hide exactly the sync-ORM-in-async bugs these tests exist to catch.
_NOT_INHERITED = ("DJANGO_ALLOW_ASYNC_UNSAFE", "PYTEST_CURRENT_TEST")


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and urllib.parse.urlsplit(url).scheme in ("postgres", "postgresql", "pgsql", "postgis")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(overrides: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    env.update(overrides)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    env["PYTHONUNBUFFERED"] = "1"
    return env


# --- database --------------------------------------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


@contextlib.contextmanager
def _maintenance_connection(server_url: str):
    import psycopg

    conn = psycopg.connect(_with_database(server_url, "postgres"), autocommit=True, connect_timeout=10)
    try:
        yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def fresh_database(tmpdir: Path) -> Iterator[dict[str, str]]:
    """Yield the environment (DATABASE_URL, HARBOUR_VAR_DIR, and what the servers need to run with debugging
    off) of a brand-new, empty database."""
    env = {"HARBOUR_VAR_DIR": str(tmpdir), "HARBOUR_HTTPS": "0"}
    server_url = os.environ.get("DATABASE_URL")
    if not is_postgres_url(server_url):
        env["DATABASE_URL"] = f"sqlite:///{tmpdir / 'db.sqlite3'}"  # tmpdir is absolute: sqlite:////tmp/...
        yield env
        return

    from psycopg import sql

    # A shared database needs a key every process is given: one per stack, the same for all its children.
    env["SECRET_KEY"] = os.environ.get("SECRET_KEY") or f"harbour-e2e-{secrets.token_urlsafe(32)}"
    name = f"harbour_e2e_{secrets.token_hex(6)}"
    with _maintenance_connection(server_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    env["DATABASE_URL"] = _with_database(server_url, name)
    try:
        yield env
    finally:
        with _maintenance_connection(server_url) as conn:
            # Children are stopped by now; FORCE (PostgreSQL 13+) also ends any straggling session.
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _run(argv: list[str], env: dict[str, str], title: str, log: Path | None) -> None:
    result = subprocess.run(  # noqa: S603
        argv, cwd=ROOT, env=child_env(env), capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False,
    )
    if log is not None:
        with log.open("a") as handle:
            handle.write(f"$ {title}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise RuntimeError(f"{title} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


# `manage.py seed_demo`, with the demo passwords hashed at 1,000 PBKDF2 iterations instead of Django's
# 1,000,000: 41 people otherwise take ~25 s of CPU. The hashes stay `pbkdf2_sha256`, which the servers
# verify with their normal settings (and upgrade on first log-in), so nothing else changes.
_FAST_SEED = """
import os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from django.contrib.auth.hashers import PBKDF2PasswordHasher
PBKDF2PasswordHasher.iterations = 1000
from django.core.management import call_command
call_command("seed_demo", *sys.argv[1:])
"""


def run_python(env: dict[str, str], code: str, *args: str, log: Path | None = None) -> None:
    _run([PYTHON, "-c", code, *args], env, f"python -c <seed> {' '.join(args)}", log)


def manage(env: dict[str, str], *args: str, log: Path | None = None) -> None:
    """Run a management command against the prepared database; fail with its output if it fails."""
    _run([PYTHON, MANAGE, *args], env, f"manage.py {' '.join(args)}", log)


def prepare_database(env: dict[str, str], log: Path | None = None, fast_passwords: bool = True) -> None:
    """Migrate and load the demo organisation (`seed_demo`; password `harbour-demo` for everyone).

    Migrating from nothing takes about 15 s of CPU and the seed 5 more, for every stack a test starts. So
    the first stack of a given code builds a template (a SQLite file, or a PostgreSQL database made with
    `CREATE DATABASE … TEMPLATE`), and the others copy it: the same database, made once."""
    if not fast_passwords:
        manage(env, "migrate", "--no-input", log=log)
        manage(env, "seed_demo", "--quiet-logins", log=log)
        return
    with _template_lock():
        if _copy_template(env, log):
            return
        manage(env, "migrate", "--no-input", log=log)
        run_python(env, _FAST_SEED, "--quiet-logins", log=log)
        _save_template(env, log)


# --- the seeded template -------------------------------------------------------------------------------

TEMPLATES = Path(tempfile.gettempdir()) / "harbour-e2e-templates"
# The demo is seeded relative to the moment it is made (a deadline "in six hours"): a template older than
# this is made again, so no stack starts with a demo that has aged by more than a run of the suite.
TEMPLATE_MAX_AGE = 30 * 60  # seconds


@functools.cache
def _code_digest() -> str:
    """What the seeded database depends on: every migration, and the code the seed runs."""
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/**/*.py")):
        if path.parts[len(ROOT.parts)] in ("core", "incidents", "clocks", "comms", "support", "config", "people", "demo"):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def _template_lock() -> Iterator[None]:
    """One builder at a time, across the test processes of this run and any other run on the machine."""
    import fcntl

    TEMPLATES.mkdir(exist_ok=True)
    with (TEMPLATES / f"{_code_digest()}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _template_name() -> str:
    return f"harbour_tmpl_{_code_digest()}"


def _copy_template(env: dict[str, str], log: Path | None) -> bool:
    """Make the stack's database a copy of the template, if there is one; False if there is none (or the
    copy failed, when the database is built from nothing as before)."""
    url = env["DATABASE_URL"]
    try:
        if not is_postgres_url(url):
            template = TEMPLATES / f"{_code_digest()}.sqlite3"
            if not template.exists() or time.time() - template.stat().st_mtime > TEMPLATE_MAX_AGE:
                return False
            shutil.copyfile(template, urllib.parse.urlsplit(url).path)
            return True
        from psycopg import sql

        name = urllib.parse.urlsplit(url).path.lstrip("/")
        with _maintenance_connection(url) as conn:
            made = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                                [_template_name()]).fetchone()
            if not made or not (made[0] or "").isdigit() or time.time() - int(made[0]) > TEMPLATE_MAX_AGE:
                return False
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(_template_name())))
        return True
    except Exception as error:  # noqa: BLE001 - a template is a shortcut: without it the database is built
        if log is not None:
            with log.open("a") as handle:
                handle.write(f"(the seeded template could not be copied: {error}; building from nothing)\n")
        return False


def _save_template(env: dict[str, str], log: Path | None) -> None:
    url = env["DATABASE_URL"]
    try:
        if not is_postgres_url(url):
            for old in TEMPLATES.glob("*.sqlite3"):
                old.unlink(missing_ok=True)
            partial = TEMPLATES / f"{_code_digest()}.sqlite3.{os.getpid()}"
            shutil.copyfile(urllib.parse.urlsplit(url).path, partial)
            partial.replace(TEMPLATES / f"{_code_digest()}.sqlite3")
            return
        from psycopg import sql

        name = urllib.parse.urlsplit(url).path.lstrip("/")
        with _maintenance_connection(url) as conn:
            # Templates of other code, or too old: a run still copying one falls back to building its own.
            others = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'harbour\\_tmpl\\_%'").fetchall()
            for (old,) in others:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(old)))
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(_template_name()), sql.Identifier(name)))
            conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(_template_name()), sql.Literal(str(int(time.time())))))
    except Exception as error:  # noqa: BLE001 - the next stack builds from nothing instead
        if log is not None:
            with log.open("a") as handle:
                handle.write(f"(the seeded template could not be saved: {error})\n")


# --- processes -------------------------------------------------------------------------------------------


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log: Path
    url: str | None = None

    def log_text(self) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return text if len(text) <= LOG_TAIL else "…" + text[-LOG_TAIL:]


def start_child(name: str, args: list[str], env: dict[str, str], logdir: Path, url: str | None = None) -> Child:
    log = logdir / f"{name}.log"
    handle = log.open("ab")
    try:
        process = subprocess.Popen(  # noqa: S603
            args, cwd=ROOT, env=child_env(env), stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    finally:
        handle.close()  # the child holds its own copy
    return Child(name=name, process=process, log=log, url=url)


class _AnswerIsEnough(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect (to HTTPS, with HARBOUR_HTTPS on) is an answer: do not follow it


def wait_for_http(child: Child, timeout: float = START_TIMEOUT) -> None:
    """Wait until the child answers any HTTP response on its URL (its login page)."""
    assert child.url
    opener = urllib.request.build_opener(_AnswerIsEnough())
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise RuntimeError(
                f"{child.name} exited with {child.process.returncode} before answering.\n"
                f"--- {child.log} ---\n{child.log_text()}"
            )
        try:
            with opener.open(child.url + "/login/", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # any HTTP answer means the server is up
        except (urllib.error.URLError, OSError) as error:
            last_error = error
        time.sleep(0.1)
    raise RuntimeError(
        f"{child.name} did not answer on {child.url} within {timeout:.0f}s (last error: {last_error}).\n"
        f"--- {child.log} ---\n{child.log_text()}"
    )


def stop_children(children: list[Child], grace: float = 10.0) -> None:
    """SIGTERM every child, then SIGKILL whatever is still running after the grace period."""
    for child in children:
        if child.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in children:
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                child.process.kill()
            child.process.wait(timeout=5)


def serve_args(port: int) -> list[str]:
    return [PYTHON, MANAGE, "serve", "--host", "127.0.0.1", "--port", str(port)]


def daphne_args(port: int, asgi: str = "config.asgi:application") -> list[str]:
    return [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), asgi]


def worker_args() -> list[str]:
    return [PYTHON, MANAGE, "worker", "--no-reload", "--interval", "0.2", "--queue-name", "*",
            "--no-startup-delay"]


# --- the whole stack -------------------------------------------------------------------------------------


@dataclass
class Stack:
    mode: str
    tmpdir: Path
    env: dict[str, str]
    web: list[Child] = field(default_factory=list)
    workers: list[Child] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [child.url for child in self.web if child.url]

    @property
    def url(self) -> str:
        return self.urls[0]

    @property
    def children(self) -> list[Child]:
        return [*self.web, *self.workers]

    def logs(self) -> str:
        return "\n".join(f"--- {c.name} ({c.log}) ---\n{c.log_text()}" for c in self.children)

    def check_alive(self) -> None:
        dead = [c for c in self.children if c.process.poll() is not None]
        if dead:
            raise RuntimeError("Server process(es) died: " + ", ".join(
                f"{c.name} rc={c.process.returncode}\n{c.log_text()}" for c in dead))


def default_mode() -> str:
    """Production topology when PostgreSQL and Redis are configured, else the embedded default."""
    if is_postgres_url(os.environ.get("DATABASE_URL")) and os.environ.get("REDIS_URL"):
        return "production"
    return "embedded"


@contextlib.contextmanager
def harbour_stack(mode: str | None = None, *, web: int = 1, workers: int = 1,
                  keep_tmpdir: bool | None = None, extra_env: dict[str, str] | None = None,
                  asgi: str = "config.asgi:application",
                  before_start: Callable[[dict[str, str], Path], None] | None = None,
                  start_timeout: float = START_TIMEOUT) -> Iterator[Stack]:
    """A migrated, seeded, fresh database and running servers; everything is stopped and removed after.

    mode "embedded": `web` x `manage.py serve` (daphne with the in-process worker); `workers` is ignored.
    mode "production": `web` x plain daphne plus `workers` x `manage.py worker`.
    `asgi` is what plain daphne serves (`serve` serves the settings' ASGI_APPLICATION: a settings overlay
    in `extra_env` changes both); `before_start(env, log)` runs after the demo seed, before any server
    (the benchmarks load `seed_large` there).
    Set HARBOUR_E2E_KEEP_TMP=1 to keep the temporary directory (logs, SQLite file) for a post-mortem.
    """
    if keep_tmpdir is None:
        keep_tmpdir = os.environ.get("HARBOUR_E2E_KEEP_TMP", "") not in ("", "0")
    mode = mode or default_mode()
    if mode not in ("embedded", "production"):
        raise ValueError(f"Unknown mode {mode!r}")
    tmpdir = Path(tempfile.mkdtemp(prefix="harbour-e2e-"))
    try:
        with fresh_database(tmpdir) as env:
            # Its own channel-layer namespace on the shared Redis, like its own database.
            env["CHANNEL_LAYER_PREFIX"] = f"harbour-e2e-{tmpdir.name}"
            env.update(extra_env or {})
            stack = Stack(mode=mode, tmpdir=tmpdir, env=env)
            prepare_database(env, log=tmpdir / "setup.log")
            if before_start is not None:
                before_start(env, tmpdir / "setup.log")
            try:
                for index in range(web):
                    port = free_port()
                    args = serve_args(port) if mode == "embedded" else daphne_args(port, asgi)
                    stack.web.append(start_child(f"web{index}", args, env, tmpdir, url=f"http://127.0.0.1:{port}"))
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
        if not keep_tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)


def api_request(url: str, *, token: str | None = None, data: dict | None = None, method: str | None = None):
    """A JSON request to a test server; returns the decoded body (None when empty)."""
    request = urllib.request.Request(url, data=json.dumps(data).encode() if data is not None else None,
                                     method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - loopback test server
        body = response.read()
    return json.loads(body) if body else None
