"""A person at the browser: journeys read as what they do (open, follow, fill, press), and every page
they land on is checked with axe-core, so no journey can visit a page without checking it."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page, expect

from .harness import DEMO_PASSWORD, axe_violations, describe_violations


class Visitor:
    def __init__(self, context: BrowserContext, name: str = "visitor"):
        self.context = context
        self.name = name
        self.page: Page = context.new_page()
        self.checked: list[str] = []
        self.missed: list[str] = []  # pages reached without an accessibility check
        self._unchecked: str | None = None
        self.page.on("framenavigated", self._navigated)
        # What the Content-Security-Policy blocked (an inline script or style it would silently break).
        self.csp_violations: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_violations.append(f"{self.page.url}: {message.text}")

    def _navigated(self, frame) -> None:
        if frame != self.page.main_frame:
            return
        before, _, _ = (self._unchecked or self._last_checked()).partition("#")
        new, _, fragment = frame.url.partition("#")
        if fragment and new == before:
            return  # a jump within the page (the skip link), not a new page
        if self._unchecked:
            self.missed.append(self._unchecked)
        self._unchecked = frame.url

    def _last_checked(self) -> str:
        return self.checked[-1] if self.checked else ""

    def check_accessibility(self) -> None:
        """Fail on serious or critical axe-core violations of the page as it is now."""
        violations = axe_violations(self.page)
        if violations:
            raise AssertionError(describe_violations(self.page.url, violations))
        self.checked.append(self.page.url)
        self._unchecked = None

    def unchecked_pages(self) -> list[str]:
        return self.missed + ([self._unchecked] if self._unchecked else [])

    # --- moving around ------------------------------------------------------------------------

    def open(self, path: str):
        """Type a URL (a bookmark, a link in a mail); returns the response (its status)."""
        response = self.page.goto(path)
        self.check_accessibility()
        return response

    def follow(self, link: str, *, exact: bool = True) -> None:
        """Click the link with this accessible name (the first, if the page repeats it)."""
        self.navigate_by(lambda: self.page.get_by_role("link", name=link, exact=exact).first.click())

    def press(self, button: str, *, confirm: bool = False, exact: bool = True) -> None:
        """Click the button with this accessible name and wait for the next page (accepting a confirm())."""
        if confirm:
            self.page.once("dialog", lambda dialog: dialog.accept())
        self.navigate_by(lambda: self.page.get_by_role("button", name=button, exact=exact).click())

    def navigate_by(self, action) -> None:
        """Do something that loads another page (a click, a key press), then check that page."""
        with self.page.expect_event("framenavigated", predicate=lambda frame: frame == self.page.main_frame):
            action()
        self.page.wait_for_load_state("load")
        self.check_accessibility()

    # --- forms --------------------------------------------------------------------------------

    def fill(self, label: str, value: str) -> None:
        self.page.get_by_label(label, exact=True).fill(value)

    def choose(self, label: str, option: str) -> None:
        """Pick an option of a select by its visible text."""
        self.page.get_by_label(label, exact=True).select_option(label=option)

    def tick(self, label: str) -> None:
        self.page.get_by_label(label, exact=True).check()

    # --- common errands -----------------------------------------------------------------------

    def log_in(self, email: str, password: str = DEMO_PASSWORD, *, submit: str = "ログイン") -> None:
        """Log in through the form (opening /login unless the browser is already there)."""
        if urlsplit(self.page.url).path != "/login":
            self.open("/login")
        self.fill("メールアドレス", email)
        self.fill("パスワード", password)
        self.press(submit)

    def log_out(self) -> None:
        self.press("ログアウト")
        expect(self.page).to_have_url(_path_pattern("/login"))

    # --- what the person sees -----------------------------------------------------------------

    @property
    def path(self) -> str:
        parts = urlsplit(self.page.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def heading(self):
        return self.page.get_by_role("heading", level=1)

    def flash(self):
        return self.page.locator(".flash")

    def sees(self, text: str) -> None:
        expect(self.page.locator("main")).to_contain_text(text)

    def does_not_see(self, text: str) -> None:
        expect(self.page.locator("main")).not_to_contain_text(text)

    def fits_the_screen(self) -> None:
        """Nothing sticks out sideways: the page needs no horizontal scrolling."""
        overflow = self.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{self.path} is {overflow}px wider than the {self.page.viewport_size['width']}px screen"

    def focused(self) -> dict:
        """What has the keyboard focus, and whether a focus indicator is drawn around it."""
        return self.page.evaluate(
            """() => {
                const el = document.activeElement;
                const style = getComputedStyle(el);
                const box = el.getBoundingClientRect();
                return {
                    tag: el.tagName.toLowerCase(),
                    name: (el.getAttribute('aria-label') || el.innerText || el.value || el.name || '').trim(),
                    id: el.id,
                    outlined: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
                    onscreen: box.width > 0 && box.height > 0 && box.top >= 0 && box.left >= 0
                        && box.bottom <= window.innerHeight && box.right <= window.innerWidth,
                };
            }"""
        )

    def tab(self) -> dict:
        self.page.keyboard.press("Tab")
        return self.focused()


def _path_pattern(path: str):
    return re.compile(rf"^https?://[^/]+{re.escape(path)}(\?.*)?$")
