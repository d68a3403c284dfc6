"""Plain helpers for the browser tests (the fixtures are in tests/browser/conftest.py; these are functions a
test calls with them, so they live apart: conftest's `signed_in` fixture, for the seeded demo people, is
another thing from `signed_in` here).

- `run_set_up(harbour, script, *args)`: make a test's own people and records by running `script` in a child
  process against the servers' database, so the test process's Django (pytest-django, Playwright's running
  loop) is never involved. The script prints one line of JSON last; that line, parsed, is returned.
- `signed_in(make_context, base, username, width)`: a page in a fresh context at a desktop's or a phone's
  width, signed in through the form as a person would, on "What needs you now".
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import log_in
from tests.servers import PYTHON, ROOT, Stack, child_env

PASSWORD = "correct-horse-battery"  # tests/factories.py: make_user
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
SET_UP_TIMEOUT = 120  # seconds

# Put before every set-up script: Django set up against the servers' database (the child's environment is
# theirs), and passwords hashed at 1,000 PBKDF2 iterations, as tests/servers.py seeds the demo people: fast,
# and verified by the servers with their usual settings.
_PREAMBLE = """\
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from django.contrib.auth.hashers import PBKDF2PasswordHasher
PBKDF2PasswordHasher.iterations = 1000
"""


def run_set_up(harbour: Stack, script: str, *args: object) -> dict:
    """Run `script` (after the preamble above) as `python -c`, with `args` as its sys.argv[1:], in the
    servers' environment; fail with what it said if it fails; return its last line of output, as JSON."""
    result = subprocess.run(  # noqa: S603
        [PYTHON, "-c", _PREAMBLE + script, *map(str, args)], cwd=ROOT, env=child_env(harbour.env),
        capture_output=True, text=True, timeout=SET_UP_TIMEOUT, check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"set-up failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def signed_in(make_context: Callable[..., BrowserContext], base: str, username: str, width: str = "desktop", *,
              password: str = PASSWORD, live: bool = False) -> Page:
    """A page in its own context at `width` ("desktop" or "phone": a phone is also mobile and touch), signed
    in as `username` and on "What needs you now"; with `live`, also once that page's socket is up."""
    phone = width == "phone"
    page = make_context(viewport=VIEWPORTS[width], is_mobile=phone, has_touch=phone).new_page()
    log_in(page, base, username, password)
    if live:
        expect(page.locator("#live-status[data-state=live]")).to_be_attached()
    return page
