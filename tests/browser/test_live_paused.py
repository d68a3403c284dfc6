"""When Redis goes away, an open page says, calmly, that live updates are paused; when it returns, the
page reconnects by itself and shows what happened meanwhile. (Production topology only: the embedded
default has no Redis to lose.)"""

from __future__ import annotations

import os
import shutil

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHILD_DEATH_TITLE, PASSWORD, log_in
from tests.servers import api_request, harbour_stack, is_postgres_url
from tests.test_hardening import _free_port, _start_redis

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (is_postgres_url(os.environ.get("DATABASE_URL")) and os.environ.get("REDIS_URL")
                            and shutil.which("redis-server")),
                       reason="needs the production configuration (PostgreSQL and Redis)"),
]


def test_the_page_says_live_updates_are_paused_and_catches_up(make_context, tmp_path):
    port = _free_port()
    redis = _start_redis(port, tmp_path)
    env = {"REDIS_URL": f"redis://127.0.0.1:{port}/0", "HARBOUR_LIVE_HEARTBEAT_SECONDS": "1"}
    try:
        with harbour_stack("production", web=1, workers=1, extra_env=env) as stack:
            token = api_request(f"{stack.url}/api/auth/token/", data={"username": "jmorgan", "password": PASSWORD})["token"]
            incident = next(i for i in api_request(f"{stack.url}/api/incidents/", token=token)["results"]
                            if i["title"] == CHILD_DEATH_TITLE)
            page = make_context().new_page()
            log_in(page, stack.url, "jmorgan")
            page.goto(f"{stack.url}/incidents/{incident['id']}/")
            status = page.locator("#live-status")
            expect(status).to_have_attribute("data-state", "live")

            redis.terminate()
            redis.wait(timeout=10)
            expect(status).to_have_attribute("data-state", "paused", timeout=15_000)
            expect(status).to_contain_text("Live updates are paused")
            # work goes on while live updates are paused
            api_request(f"{stack.url}/api/incidents/{incident['id']}/decisions/", token=token,
                        data={"decision": "Recorded while live updates were paused", "rationale": "r"})

            redis = _start_redis(port, tmp_path)
            expect(status).to_have_attribute("data-state", "live", timeout=30_000)
            # caught up: the decision log (a tab of the page) now holds it, without a reload
            expect(page.locator("#panel-decisions").get_by_text("Recorded while live updates were paused")).to_be_attached()
    finally:
        redis.terminate()
        redis.wait(timeout=10)
