"""Issue 17's attacker probes on sessions, throttles and headers, run against a scratch database.

    PYTHONPATH=. python -m bench.security_probe [sqlite|postgresql] [memory|redis]

Prints one line per probe (what an attacker got) and the cost of the throttle calls per storage.
"""
from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

from bench.scratch import scratch_database

PASSWORD = "probe-password-1"


def _client(app):
    client = app.test_client()

    def form(url, data, address="192.0.2.1", token_from="/login"):
        page = client.get(token_from).get_data(as_text=True)
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
        return client.post(url, data=dict(data, csrf_token=token), environ_base={"REMOTE_ADDR": address})

    client.form = form
    return client


def main(kind: str = "sqlite", storage: str = "memory") -> None:
    from flask_migrate import upgrade

    from liaison import create_app
    from liaison.calendar.tokens import feed_token
    from liaison.domain import users as user_rules
    from liaison.extensions import db
    from liaison.security import FEED_TOKENS, LOGIN_ACCOUNT, reset_throttles
    from liaison.seed import seed_reference_data

    with scratch_database(kind) as (url, what), tempfile.TemporaryDirectory() as tmp:
        config = {"TESTING": True, "SECRET_KEY": "probe-secret-key-0123456789-0123456789", "SQLALCHEMY_DATABASE_URI": url,
                  "UPLOAD_FOLDER": str(Path(tmp) / "uploads"), "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                  "BASE_URL": "http://liaison.test", "FEED_RECHECK_SECONDS": 0}
        if storage == "redis":
            config.update(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
                          RATELIMIT_STORAGE_OPTIONS={"key_prefix": f"liaison-probe-{time.time_ns()}"})
        app = create_app(config)
        with app.app_context():
            upgrade()
            seed_reference_data()
            admin = user_rules.create_user(actor=None, email="admin@example.jp", name="管理 者", password=PASSWORD, is_admin=True)
            for n in range(8):
                user_rules.create_user(actor=None, email=f"user{n}@example.jp", name=f"利用 者{n}", password=PASSWORD)
            db.session.commit()
            token = feed_token(admin)
        print(f"security probes on a {what}, throttles in {storage}")
        results = []

        # 1. A cookie copied before logout.
        browser = _client(app)
        browser.form("/login", {"email": "user0@example.jp", "password": PASSWORD})
        stolen = app.test_client()
        for cookie in browser._cookies.values():
            stolen.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
        before = stolen.get("/account").status_code
        browser.form("/logout", {}, token_from="/account")
        after = stolen.get("/account").status_code
        results.append(("copied cookie: /account before / after logout", f"{before} / {after}", after == 302))

        # 2. 18 wrong feed tokens, then a valid one, from one address.
        nat = {"REMOTE_ADDR": "192.0.2.50"}
        wrong = [app.test_client().get(f"/calendar/1-wrong{n}.ics", environ_base=nat).status_code for n in range(18)]
        valid = app.test_client().get(f"/calendar/{token}.ics", environ_base=nat).status_code
        results.append(("18 wrong feed tokens: 404s / 429s, then the valid feed",
                        f"{wrong.count(404)} / {wrong.count(429)}, {valid}", valid == 200 and 429 in wrong))

        # 3. 30 failures over 6 accounts from one address, then the 7th account's right password.
        attacker = _client(app)
        spread = [attacker.form("/login", {"email": f"user{1 + n % 6}@example.jp", "password": "x" * 12},
                                address="198.51.100.9").status_code for n in range(30)]
        right = attacker.form("/login", {"email": "user0@example.jp", "password": PASSWORD}, address="198.51.100.9").status_code
        results.append(("30 failures over 6 accounts from one address, then a 31st attempt",
                        f"{spread.count(401)}×401, then {right}", right == 429))

        # 4. A stranger hammering the administrator; the administrator's browser logged in before.
        own = _client(app)
        own.form("/login", {"email": "admin@example.jp", "password": PASSWORD})
        own.form("/logout", {}, token_from="/account")
        stranger = _client(app)
        hammer = [stranger.form("/login", {"email": "admin@example.jp", "password": "x" * 12}, address="203.0.113.5").status_code
                  for _ in range(40)]
        admin_in = own.form("/login", {"email": "admin@example.jp", "password": PASSWORD}, address="203.0.113.5").status_code
        results.append(("40 stranger failures on the administrator: 401s / 429s, then the administrator's browser",
                        f"{hammer.count(401)} / {hammer.count(429)}, {admin_in}", admin_in == 302))

        # 5. Account enumeration: the throttled answer for a real and an unknown address.
        answers = []
        for email, address in (("user5@example.jp", "192.0.2.71"), ("nobody@example.jp", "192.0.2.72")):
            c = _client(app)
            for _ in range(5):
                c.form("/login", {"email": email, "password": "x" * 12}, address=address)
            r = c.form("/login", {"email": email, "password": "x" * 12}, address=address)
            answers.append((r.status_code, re.findall(r'flash-error"[^>]*>([^<]*)<', r.get_data(as_text=True))))
        results.append(("throttled answer, existing vs unknown account", "same" if answers[0] == answers[1] else "DIFFERENT",
                        answers[0] == answers[1]))

        # 6. Current-password guesses on /account.
        guesser = _client(app)
        guesser.form("/login", {"email": "user7@example.jp", "password": PASSWORD}, address="192.0.2.80")
        statuses = [guesser.form("/account", {"current": "x" * 12, "password": "new-password-12", "confirm": "new-password-12"},
                                 token_from="/account").status_code for _ in range(10)]
        results.append(("10 current-password guesses: 400s / 429s", f"{statuses.count(400)} / {statuses.count(429)}",
                        statuses.count(400) <= 5))

        # 7. Headers on a page.
        page = own.get("/login")
        wanted = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options", "Cache-Control")
        missing = [h for h in wanted if h not in page.headers]
        results.append(("security headers missing on /login", ", ".join(missing) or "none", not missing))

        width = max(len(r[0]) for r in results)
        for label, value, ok in results:
            print(f"  {'ok ' if ok else 'BAD'} {label:<{width}}  {value}")

        # The cost of one throttle check and one counted failure.
        with app.test_request_context("/", environ_base={"REMOTE_ADDR": "192.0.2.99"}):
            n = 2000
            start = time.perf_counter()
            for i in range(n):
                FEED_TOKENS.retry_after(f"192.0.2.{i % 250}")
            check = (time.perf_counter() - start) / n * 1e6
            start = time.perf_counter()
            for i in range(n):
                LOGIN_ACCOUNT.fail(f"bench-{i % 250}")
            fail = (time.perf_counter() - start) / n * 1e6
            reset_throttles()
            print(f"  throttle cost ({storage}): check {check:.0f} µs (1 limit), counted failure {fail:.0f} µs (3 limits)")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if not all(ok for _label, _value, ok in results):
            sys.exit(1)


if __name__ == "__main__":
    main(*sys.argv[1:3])
