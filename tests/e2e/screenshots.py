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
