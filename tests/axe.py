"""axe-core checks for the browser tests."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page


def serious_violations(page: Page, what: str) -> list[str]:
    """axe-core on the page as it is now: the serious and critical violations, described for a person."""
    results = Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") not in ("serious", "critical"):
            continue
        nodes = "\n".join(
            f"      {node.get('target')}: {node.get('html', '')[:200]}\n        {node.get('failureSummary', '')}"
            for node in violation["nodes"]
        )
        found.append(f"[{what}] {violation['id']} ({violation['impact']}): {violation['help']}\n"
                     f"    {violation['helpUrl']}\n{nodes}")
    if results.violations_count:
        print(f"\naxe on {what} ({page.url}):\n{results.generate_snapshot()}")
    return found
