"""PNG screenshots of the main pages from the demo data: `make screenshots` (docs/screenshots/).

Runs the app the way the browser journeys do (a fresh SQLite database, `flask db upgrade`,
`flask seed --demo`, gunicorn on loopback) and photographs each SHOT in Debian's Chromium.
A shot is a line: who is logged in, where they go, at which screen size. `go` is a path, or a
function of the Visitor that walks there through the pages (for pages whose URL holds an id):

    Shot("meeting", "member02@example.jp", lambda v: (v.open("/planning/meetings/"), v.follow("第1回", exact=False)))

    python -m tests.e2e.screenshots [--out DIR] [NAME ...]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import harness
from .visitor import Visitor


@dataclass
class Shot:
    name: str
    login: str | None
    go: str | Callable[[Visitor], object]
    viewport: dict = field(default_factory=lambda: harness.DESKTOP)
    full_page: bool = True


def _first_link(visitor: Visitor, path: str, within: str) -> None:
    """Open a list page and follow its first link in `within` (pages whose URL holds an id)."""
    visitor.open(path)
    visitor.navigate_by(visitor.page.locator(within).get_by_role("link").first.click)


def _today_base(visitor: Visitor) -> str:
    """The path of today's demo 企画運営部会 meeting (会議進行のデモ)."""
    visitor.open("/planning/meetings/")
    row = visitor.page.get_by_role("row").filter(has_text="会議進行のデモ").get_by_role("link").first
    visitor.navigate_by(row.click)
    return visitor.path


def _in_session(visitor: Visitor) -> str:
    """Today's meeting in session, the door's 受付 done, the 議決事項 under discussion and its 資料4 shown to
    everyone at page 2 (the console's 「この資料を全員に表示」, 「次のページ」); each step only if not done yet, so
    that any one of the meeting-day shots can be taken alone. Returns the meeting's path."""
    from playwright.sync_api import expect

    base = _today_base(visitor)
    visitor.open(f"{base}/console")
    page = visitor.page

    def press(name: str, within=None, *, confirm: bool = False) -> None:
        if confirm:
            page.once("dialog", lambda dialog: dialog.accept())
        (within or page).get_by_role("button", name=name, exact=True).first.click()

    if page.get_by_role("button", name="開会", exact=True).count():
        press("開会", confirm=True)
        expect(page.get_by_role("button", name="閉会", exact=True)).to_be_visible()
        for seat in ("埼玉県", "川越市", "川口市", "越谷市", "所沢市", "春日部市"):
            row = page.get_by_role("row").filter(has_text=seat)
            if row.count():
                press("出席", row.first)
                expect(page.get_by_role("row").filter(has_text=seat).first).to_contain_text("出席", timeout=10_000)
    current = page.locator(".agenda-live li.current")
    while not current.count() or "共同研修計画" not in current.inner_text():
        press("次へ")
        page.wait_for_timeout(500)
    if not page.locator(".presenting-controls").count():
        press("この資料を全員に表示")
        expect(page.locator(".presenting-controls")).to_be_visible(timeout=10_000)
    if "2ページ" not in page.locator(".presenting-controls").inner_text():
        press("次のページ")
        expect(page.locator(".presenting-controls")).to_contain_text("2ページ", timeout=10_000)
    return base


def _as_secretariat(visitor: Visitor) -> tuple[str, str]:
    """Bring today's meeting in session from a second browser (the secretariat's console): the meeting's path
    and the screen's link."""
    from urllib.parse import urlsplit

    if not visitor.page.url.startswith("http"):
        visitor.open("/login")
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(visitor.page.url))
    context = visitor.page.context.browser.new_context(base_url=origin, viewport=harness.DESKTOP, locale="ja-JP",
                                                        timezone_id="Asia/Tokyo")
    try:
        secretariat = Visitor(context, "secretariat")
        secretariat.log_in("secretariat@example.jp")
        base = _in_session(secretariat)
        secretariat.open(f"{base}/console")
        link = secretariat.page.locator(".screen-link a").first.get_attribute("href")
        return base, link
    finally:
        context.close()


def _console(visitor: Visitor) -> None:
    _in_session(visitor)
    visitor.page.locator("[data-presenting] [data-pdf-viewer][data-rendered-page='2']").wait_for(timeout=15_000)


def _phone(visitor: Visitor) -> None:
    base, _link = _as_secretariat(visitor)
    visitor.open(f"{base}/live")
    check_in = visitor.page.get_by_role("button", name="出席する(受付)")
    if check_in.count():
        check_in.click()
        visitor.page.get_by_role("button", name="挙手(発言を求める)").wait_for(timeout=10_000)
    visitor.page.locator("[data-presenting] [data-pdf-viewer][data-rendered-page='2']").wait_for(timeout=15_000)
    visitor.page.evaluate("window.scrollTo(0, 0)")


def _screen(visitor: Visitor) -> None:
    _base, link = _as_secretariat(visitor)
    visitor.page.goto(link)
    visitor.page.locator("[data-presenting] [data-pdf-viewer][data-rendered-page='2']").wait_for(timeout=15_000)


# Every shot is committed under docs/screenshots/ and may be shown in the README.
SHOTS = [
    Shot("login", None, "/login"),
    Shot("dashboard", "member02@example.jp", "/"),
    Shot("committee", "member02@example.jp", "/planning/"),
    Shot("admin-memberships", "admin@example.jp", "/admin/memberships?committee=planning"),
    Shot("dashboard-phone", "member08@example.jp", "/", viewport=harness.PHONE),
    Shot("meeting", "member02@example.jp", lambda v: _first_link(v, "/planning/", "#meetings tbody")),
    Shot("vote-result", "member02@example.jp",
         lambda v: (v.open("/planning/votes/"), v.follow("DX推進リーダー養成研修の試行について", exact=False))),
    Shot("minutes", "member02@example.jp", lambda v: _first_link(v, "/minutes/?kind=minutes&committee=planning", ".search-results")),
    # the meeting day (today's 企画運営部会, in session, 資料4 shown to everyone at page 2)
    Shot("sitting-console", "secretariat@example.jp", _console),
    Shot("sitting-phone", "member02@example.jp", _phone, viewport=harness.PHONE, full_page=False),
    Shot("sitting-screen", None, _screen, viewport={"width": 1280, "height": 720}, full_page=False),
]


def take(shots: list[Shot], out: Path) -> list[Path]:
    missing = harness.browser_missing()
    if missing:
        raise SystemExit(f"screenshots: {missing}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="liaison-screenshots-") as tmp:
        tmp_dir = Path(tmp)
        database = f"sqlite:///{tmp_dir / 'screenshots.sqlite3'}"
        with harness.mail_server() as (smtp_port, _mailbox), \
                harness.live_server(database, tmp_dir, backend="sqlite", smtp_port=smtp_port) as server, \
                harness.chromium() as browser:
            for shot in shots:
                phone = shot.viewport["width"] < 600
                context = browser.new_context(base_url=server.url, viewport=shot.viewport, locale="ja-JP",
                                              timezone_id="Asia/Tokyo", is_mobile=phone, has_touch=phone)
                try:
                    visitor = Visitor(context, shot.name)
                    if shot.login:
                        visitor.log_in(shot.login)
                    if callable(shot.go):
                        shot.go(visitor)
                    else:
                        visitor.open(shot.go)
                    path = out / f"{shot.name}.png"
                    visitor.page.screenshot(path=str(path), full_page=shot.full_page)
                    written.append(path)
                    print(f"screenshots: {path.relative_to(harness.PROJECT_ROOT) if path.is_relative_to(harness.PROJECT_ROOT) else path}")
                finally:
                    context.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=harness.PROJECT_ROOT / "docs" / "screenshots")
    parser.add_argument("names", nargs="*", help="only these shots (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.names) - {shot.name for shot in SHOTS}
    if unknown:
        parser.error(f"unknown shots: {', '.join(sorted(unknown))}")
    shots = [shot for shot in SHOTS if not args.names or shot.name in args.names]
    take(shots, args.out.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
