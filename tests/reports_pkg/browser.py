"""Open a page in headless Chromium (Debian's, driven by Playwright) the way a person would, offline, and
record what went wrong: console errors, page errors, any request that left the file itself."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_or_skip() -> str:
    """Chromium's path. Without one the test is skipped, except under CI, where it must run."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("CI must check the report in a browser: install Debian's chromium (apt-get install -y chromium)")
    pytest.skip("no chromium on this machine (apt-get install -y chromium); set CI to make this a failure")


@dataclass
class PageVisit:
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


def visit(page_file: Path, screenshot: Path, script: str) -> PageVisit:
    """Load ``page_file`` with the network off; ``script`` (JavaScript) gathers facts about the page."""
    from playwright.sync_api import sync_playwright

    seen = PageVisit()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_or_skip(), args=CHROMIUM_FLAGS,
                                     chromium_sandbox=False)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.on("console", lambda m: seen.console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: seen.page_errors.append(str(e)))
            page.on("request", lambda r: seen.requests.append(r.url))
            page.on("requestfailed", lambda r: seen.failed_requests.append(r.url))
            page.goto(page_file.as_uri(), wait_until="load")
            seen.facts = page.evaluate(script)
            page.screenshot(path=str(screenshot), full_page=False)
        finally:
            browser.close()
    return seen
