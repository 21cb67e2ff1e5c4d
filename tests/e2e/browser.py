"""The portal in headless Chromium: the browser's settings, a page's markup checks, and a person
in their own browser context. The fixtures that start the portal and the browser are in
``conftest.py``; Debian's chromium must be at /usr/bin/chromium (``.ci/run`` installs it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support import flows

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Every form control has a label (its own, or an ARIA one) and the page names its language.
UNLABELLED = """() => {
  const bad = [...document.querySelectorAll("input, select, textarea")]
    .filter((el) => el.type !== "hidden" && !(el.labels && el.labels.length)
      && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
    .map((el) => el.name || el.id);
  return document.documentElement.lang ? bad : [...bad, "html[lang]"];
}"""
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


class Person:
    """One person in their own browser context (their own cookies) on the portal."""

    def __init__(self, chromium: Any, portal: str, shots: Path, viewport: dict[str, int]):
        self.context = chromium.new_context(viewport=viewport, locale="vi-VN")
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.portal = portal
        self.shots = shots

    def go(self, path: str) -> Any:
        self.page.goto(self.portal + path)
        return self.page

    def submit(self, label: str) -> None:
        self.page.get_by_role("button", name=label, exact=True).click()
        self.page.wait_for_load_state()

    def sign_in(self, email: str, lang: str = "vi") -> None:
        self.go(f"/signin?lang={lang}")
        self.page.fill("#f-email", email)
        self.page.fill("#f-password", flows.DEMO_PASSWORD)
        self.page.locator("main button[type=submit]").click()
        self.page.wait_for_load_state()
        assert "/signin" not in self.page.url, self.text()

    def text(self) -> str:
        return self.page.inner_text("main")

    def shot(self, name: str) -> None:
        """Keep a screenshot, after checking the page's markup basics."""
        assert self.page.evaluate(UNLABELLED) == [], name
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def flash(self) -> str:
        return self.page.locator(".flash").first.inner_text()

    def fill_sheet(self, answers: dict[str, Any]) -> None:
        for code, value in answers.items():
            if value:
                self.page.check(f'input[name="answer.{code}"][value="{value}"]')

    def close(self) -> None:
        self.context.close()
