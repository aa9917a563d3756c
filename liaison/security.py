"""Sessions that end, throttles every web host shares, and the security headers of every response.

- Sessions: the signed cookie names the user and their session generation (User.session_version, checked
  against the database on every request by the user loader); logging out, changing or resetting the password,
  deactivation and the administrator's "end sessions" raise it, so a copied cookie dies everywhere at once.
  The cookie expires after SESSION_HOURS without use (Flask checks the signature's age) and, however much
  it is used, SESSION_ABSOLUTE_HOURS after the log-in.
- Throttles: Flask-Limiter's storage and moving-window strategy, in Redis when REDIS_URL is set (every host
  counts together), in memory otherwise. Only failures are counted: wrong passwords per account and per
  address, wrong current passwords per user, wrong calendar feed tokens per address;
  requests for a password reset mail per address and per e-mail.
- Headers: a Content-Security-Policy without inline scripts or styles, no framing, nosniff, a referrer
  policy that never sends a URL to another site, no-store on every page, HSTS when BASE_URL is https.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache

from flask import Flask, current_app, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import logout_user
from itsdangerous import BadSignature, URLSafeSerializer
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from .config import ConfigError

EXTENSION = "liaison.limiter"
FALLBACK = "liaison.limiter_fallback"
log = logging.getLogger(__name__)
DEVICE_COOKIE = "liaison_device"
DEVICE_COOKIE_DAYS = 365
SESSION_STARTED = "_auth_at"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Responses that keep the Cache-Control they chose (revalidated with ETags; the files carry their own CSP).
OWN_CACHE_CONTROL = {"static", "calendar.feed", "calendar_committee.committee_feed", "calendar_committee.meeting_ics",
                     "meetings.download", "proposals.download",
                     # the public 会議録 pages (liaison.blueprints.public): Cache-Control: public with ETags
                     "public.index", "public.committee", "public.minutes", "public.minutes_pdf", "public.feed"}


def init_security(app: Flask) -> None:
    config = app.config
    config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=config["RATELIMIT_STORAGE_URI"],
        # Storage errors are raised as limits' StorageError, so a Redis outage falls back to memory (_counting).
        storage_options={"wrap_exceptions": True, **_network_timeouts(config["RATELIMIT_STORAGE_URI"]),
                         **(config.get("RATELIMIT_STORAGE_OPTIONS") or {})},
        strategy="moving-window",
        headers_enabled=False,
    )
    app.extensions[EXTENSION] = limiter
    for throttle in (LOGIN_ACCOUNT, LOGIN_ADDRESS, CURRENT_PASSWORD, FEED_TOKENS, PASSWORD_RESET_ADDRESS,
                     PASSWORD_RESET_ACCOUNT):
        try:  # a mistyped limit stops the start, not a log-in later
            throttle.items_for(config)
        except ValueError as error:
            raise ConfigError(f"the {throttle.name} limits are not valid: {error}") from error

    @app.before_request
    def _absolute_session_lifetime():
        # Only a logged-in session is looked at (a static file or an anonymous page costs nothing).
        if "_user_id" not in session:
            return
        started = session.get(SESSION_STARTED)
        limit = current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
        if not isinstance(started, (int, float)) or time.time() - started > limit:
            logout_user()
            session.clear()

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        for name, value in baseline_headers(current_app.config["BASE_URL"]):
            if name != "Cache-Control":
                headers.setdefault(name, value)
        if response.mimetype == "text/html":
            headers.setdefault("Content-Security-Policy", CSP)
        if request.endpoint not in OWN_CACHE_CONTROL or "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
            headers.pop("Expires", None)
        return response


@lru_cache(maxsize=8)
def baseline_headers(base_url: str) -> tuple[tuple[str, str], ...]:
    """The headers every response carries (an HTML page adds its CSP; a few endpoints keep their own caching)."""
    headers = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
               ("Referrer-Policy", "same-origin"), ("Cache-Control", "no-store"))
    if base_url.startswith("https://"):
        headers += (("Strict-Transport-Security", "max-age=31536000"),)
    return headers


def session_started() -> None:
    """Mark the log-in time, from which SESSION_ABSOLUTE_HOURS runs (call right after login_user)."""
    session[SESSION_STARTED] = int(time.time())


# --- throttles -------------------------------------------------------------------------------------

@lru_cache(maxsize=64)
def _parse(limits: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(limits))


@dataclass(frozen=True)
class Throttle:
    """A named set of limits on failures, e.g. "5 per minute; 10 per 15 minutes" (growing delays).

    `limits` is a config key whose value is such a string, or a callable building it from the config.
    """

    name: str
    limits: object

    def items_for(self, config) -> tuple[RateLimitItem, ...]:
        value = self.limits(config) if callable(self.limits) else config[self.limits]
        return _parse(value)

    def _items(self) -> tuple[RateLimitItem, ...]:
        return self.items_for(current_app.config)

    def retry_after(self, key: str) -> int:
        """Seconds until one more attempt is allowed for key; 0 when it is allowed now."""
        def ask(strategy) -> int:
            wait = 0
            for item in self._items():
                if not strategy.test(item, self.name, key):
                    reset_at = strategy.get_window_stats(item, self.name, key).reset_time
                    wait = max(wait, max(1, int(reset_at - time.time() + 0.999)))
            return wait

        return _counting(ask)

    def fail(self, key: str) -> None:
        _counting(lambda strategy: [strategy.hit(item, self.name, key) for item in self._items()])

    def clear(self, key: str) -> None:
        _counting(lambda strategy: [strategy.clear(item, self.name, key) for item in self._items()])


def _network_timeouts(uri: str) -> dict:
    """A Redis that does not answer must not hold a log-in for long: one second to connect or to answer."""
    return {"socket_connect_timeout": 1, "socket_timeout": 1} if uri.startswith(("redis", "rediss", "valkey")) else {}


def _counting(call):
    """call(strategy) on the shared storage; while it is unreachable (Redis down), on this process's memory.

    Redis is optional for the app: an outage makes the throttles count per process (as without REDIS_URL)
    instead of failing every log-in; the shared counts are used again as soon as Redis answers.
    """
    try:
        return call(limiter().limiter)
    except StorageError as error:
        extensions = current_app.extensions
        if FALLBACK not in extensions:
            extensions[FALLBACK] = MovingWindowRateLimiter(MemoryStorage())
        log.warning("throttle storage unreachable (%s): counting in this process meanwhile", error.storage_error)
        return call(extensions[FALLBACK])


def _login_account_limits(config) -> str:
    if config.get("LOGIN_ACCOUNT_LIMITS"):
        return config["LOGIN_ACCOUNT_LIMITS"]
    n, minutes = config["LOGIN_MAX_FAILURES"], config["LOGIN_LOCK_MINUTES"]
    return f"{n} per {minutes} minute; {2 * n} per {15 * minutes} minute; {4 * n} per {60 * minutes} minute"


def _feed_token_limits(config) -> str:
    return f"{config['FEED_TOKEN_MAX_FAILURES']} per {config['FEED_TOKEN_WINDOW_SECONDS']} second"


def _reset_address_limits(config) -> str:
    return config.get("PASSWORD_RESET_ADDRESS_LIMITS") or "5 per 15 minute; 20 per day"


def _reset_account_limits(config) -> str:
    return config.get("PASSWORD_RESET_ACCOUNT_LIMITS") or "3 per hour; 6 per day"


LOGIN_ACCOUNT = Throttle("login-account", _login_account_limits)
LOGIN_ADDRESS = Throttle("login-address", "LOGIN_ADDRESS_LIMITS")
CURRENT_PASSWORD = Throttle("current-password", "CURRENT_PASSWORD_LIMITS")
FEED_TOKENS = Throttle("feed-token", _feed_token_limits)
# 「パスワードを忘れた場合」: every request counts, per address (429) and per e-mail (silently no more mails).
PASSWORD_RESET_ADDRESS = Throttle("password-reset-address", _reset_address_limits)
PASSWORD_RESET_ACCOUNT = Throttle("password-reset-account", _reset_account_limits)


def password_reset_wait() -> int:
    """Seconds before this address may ask for another reset mail (0: now)."""
    return PASSWORD_RESET_ADDRESS.retry_after(remote_address())


def password_reset_requested(email: str) -> bool:
    """Count the request; False when this e-mail has had its share of reset mails for now."""
    PASSWORD_RESET_ADDRESS.fail(remote_address())
    key = _hashed(email)
    if PASSWORD_RESET_ACCOUNT.retry_after(key):
        return False
    PASSWORD_RESET_ACCOUNT.fail(key)
    return True


def limiter() -> Limiter:
    return current_app.extensions[EXTENSION]


def reset_throttles() -> None:
    """Forget every count (tests; the Redis storage deletes only keys under its own key prefix)."""
    current_app.extensions.pop(FALLBACK, None)
    try:
        limiter().reset()
    except StorageError:
        pass  # an unreachable storage has nothing to forget here


def _hashed(value: str) -> str:
    """Counts are kept under a digest, so the storage holds no e-mail address."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def remote_address() -> str:
    return request.remote_addr or "unknown"


# --- log-in throttling -----------------------------------------------------------------------------
# Per account (every address together) and per address (every account together). A browser that has
# logged in to the account before carries a signed device cookie: its attempts count in a bucket of their
# own and not per address, so nobody else's failures can keep the account's owner out (OWASP "device cookies").

def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="liaison.login-device")


def _known_device(email: str) -> str | None:
    """The nonce of this browser's device cookie when it belongs to the e-mail, else None."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _device_serializer().loads(raw)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("e") != email or not isinstance(data.get("n"), str):
        return None
    return data["n"]


def _login_keys(email: str) -> list[tuple[Throttle, str]]:
    device = _known_device(email)
    if device is not None:
        return [(LOGIN_ACCOUNT, f"{_hashed(email)}:device:{device}")]
    return [(LOGIN_ACCOUNT, _hashed(email)), (LOGIN_ADDRESS, remote_address())]


def login_wait(email: str) -> int:
    """Seconds before the next log-in attempt for this e-mail from this browser (0: now)."""
    return max(throttle.retry_after(key) for throttle, key in _login_keys(email))


def login_failed(email: str) -> None:
    for throttle, key in _login_keys(email):
        throttle.fail(key)


def login_succeeded(email: str, response) -> None:
    """Forget the account's failures seen by this browser; give it a device cookie for the account."""
    keys = _login_keys(email)
    throttle, key = keys[0]
    throttle.clear(key)
    if _known_device(email) is None:
        value = _device_serializer().dumps({"e": email, "n": secrets.token_urlsafe(12)})
        response.set_cookie(
            DEVICE_COOKIE, value, max_age=DEVICE_COOKIE_DAYS * 86400, httponly=True, samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
