"""'Your API tokens' in real Chromium (issue 18, point 5): a person makes a token, sees it once, uses it,
finds it in the menu, revokes it; the page fits a phone and axe-core finds nothing serious."""

from __future__ import annotations

import urllib.error

import pytest
from playwright.sync_api import expect

from tests.axe import serious_violations
from tests.browser._helpers import VIEWPORTS
from tests.browser.conftest import log_in
from tests.servers import api_request

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_make_a_token_see_it_once_use_it_and_revoke_it(make_context, base, width):
    phone = width == "phone"
    page = make_context(viewport=VIEWPORTS[width], is_mobile=phone, has_touch=phone).new_page()
    username = "bpatel" if phone else "jmorgan"
    log_in(page, base, username)
    page.goto(f"{base}/me/api-tokens/")
    expect(page.get_by_role("heading", name="Your API tokens", level=1)).to_be_visible()

    page.get_by_role("button", name="Make a token").click()  # nothing filled in
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a name for the token")
    page.get_by_label("What is it for?").fill(f"Rota sync ({width})")
    page.get_by_label("Days until it stops working").fill("14")
    page.get_by_role("button", name="Make a token").click()
    expect(page.get_by_text("Copy your token for")).to_be_visible()
    key = page.get_by_label("Your new token").input_value()
    assert key.startswith("hbr_")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1
    assert not serious_violations(page, f"Your API tokens, a token just made, {width}")

    assert api_request(f"{base}/api/me/tokens/", token=key)[0]["name"] == f"Rota sync ({width})"
    page.goto(f"{base}/me/api-tokens/")
    expect(page.get_by_text("Copy your token for")).to_have_count(0)
    assert key not in page.content()
    if phone:
        page.get_by_role("button", name="Menu").click()
    page.locator("#navigation").get_by_role("link", name="API").click()  # the menu offers it now
    expect(page).to_have_url(f"{base}/me/api-tokens/")

    page.get_by_role("button", name=f"Revoke “Rota sync ({width})”").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is revoked")
    expect(page.locator("table")).to_contain_text("revoked by its owner")
    assert not serious_violations(page, f"Your API tokens, one revoked, {width}")
    with pytest.raises(urllib.error.HTTPError) as refused:
        api_request(f"{base}/api/me/tokens/", token=key)
    assert refused.value.code == 401
