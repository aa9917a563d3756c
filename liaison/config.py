"""Settings from the environment, read in one place."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """Raised when the environment does not allow a safe start."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _instance_secret(instance_path: Path) -> str:
    """A random key kept in instance/ for development, so no default key exists in the repo."""
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def default_base_url(env) -> str:
    """Without BASE_URL: where `make run` / `flask run` serve, from HOST and PORT (127.0.0.1:5000 by default)."""
    host = env.get("HOST") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):  # every interface: the links still have to name one
        host = "127.0.0.1"
    return f"http://{host}:{env.get('PORT') or '5000'}"


def load_config(instance_path: Path, overrides: dict | None = None) -> dict:
    """Build the Flask config from the environment; overrides (tests) win."""
    env = os.environ
    overrides = overrides or {}
    liaison_env = overrides.get("LIAISON_ENV", env.get("LIAISON_ENV", "development"))
    sqlite_default = f"sqlite:///{instance_path / 'liaison.sqlite3'}"
    base_url = (env.get("BASE_URL") or default_base_url(env)).rstrip("/")
    config = {
        "LIAISON_ENV": liaison_env,
        "SECRET_KEY": env.get("SECRET_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(env.get("DATABASE_URL") or sqlite_default),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BASE_URL": base_url,
        "SMTP_HOST": env.get("SMTP_HOST", "127.0.0.1"),
        "SMTP_PORT": int(env.get("SMTP_PORT", "8025")),
        "SMTP_USER": env.get("SMTP_USER", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _bool(env.get("SMTP_STARTTLS")),
        "MAIL_FROM": env.get("MAIL_FROM", "liaison@example.jp"),
        "SMTP_TIMEOUT": int(env.get("SMTP_TIMEOUT", "10")),
        # The notification sender: attempts before "failed", first backoff (doubling), how long a
        # claimed row may stay "sending" before it is retried, how long a change notice waits for more edits.
        "NOTIFY_MAX_ATTEMPTS": int(env.get("NOTIFY_MAX_ATTEMPTS", "8")),
        "NOTIFY_RETRY_BASE_SECONDS": int(env.get("NOTIFY_RETRY_BASE_SECONDS", "60")),
        "NOTIFY_SENDING_TIMEOUT_MINUTES": int(env.get("NOTIFY_SENDING_TIMEOUT_MINUTES", "10")),
        "NOTIFY_CHANGE_DELAY_MINUTES": int(env.get("NOTIFY_CHANGE_DELAY_MINUTES", "5")),
        # The scheduler's pass interval; the SQLite sender lease (renewed at a fifth of it); how long the
        # outcome of a sent mail is retried against a failing database; the SMTP circuit breaker's pause
        # (as long as the outage has lasted, within these bounds); a due mail waiting longer than
        # NOTIFY_STUCK_MINUTES makes /readyz answer 503.
        "NOTIFY_INTERVAL_SECONDS": float(env.get("NOTIFY_INTERVAL_SECONDS", "60")),
        "NOTIFY_LEASE_SECONDS": float(env.get("NOTIFY_LEASE_SECONDS", "15")),
        "NOTIFY_MARK_RETRY_SECONDS": float(env.get("NOTIFY_MARK_RETRY_SECONDS", "60")),
        "NOTIFY_BREAKER_MIN_SECONDS": float(env.get("NOTIFY_BREAKER_MIN_SECONDS", "30")),
        "NOTIFY_BREAKER_MAX_SECONDS": float(env.get("NOTIFY_BREAKER_MAX_SECONDS", "600")),
        "NOTIFY_STUCK_MINUTES": float(env.get("NOTIFY_STUCK_MINUTES", "15")),
        "UPLOAD_FOLDER": env.get("UPLOAD_FOLDER", str(instance_path / "uploads")),
        "MAX_UPLOAD_MB": int(env.get("MAX_UPLOAD_MB", "20")),
        # Log-in throttling with growing delays (liaison.security): per account, LOGIN_MAX_FAILURES wrong
        # passwords per LOGIN_LOCK_MINUTES, twice as many per 15 times as long, four times as many per 60 times
        # (defaults: 5 a minute, 10 in 15 minutes, 20 an hour), unless LOGIN_ACCOUNT_LIMITS spells the limits
        # out ("5 per minute; 10 per 15 minutes"); per address, LOGIN_ADDRESS_LIMITS over every account.
        "LOGIN_MAX_FAILURES": int(env.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCK_MINUTES": int(env.get("LOGIN_LOCK_MINUTES", "1")),
        "LOGIN_ACCOUNT_LIMITS": env.get("LOGIN_ACCOUNT_LIMITS", ""),
        "LOGIN_ADDRESS_LIMITS": env.get("LOGIN_ADDRESS_LIMITS", "30 per 10 minutes; 100 per day"),
        # Wrong current passwords on the account page, per user.
        "CURRENT_PASSWORD_LIMITS": env.get("CURRENT_PASSWORD_LIMITS", "5 per 15 minutes; 20 per day"),
        # JSON API requests per personal access token (liaison.api).
        "API_RATE_LIMITS": env.get("API_RATE_LIMITS", "300 per minute; 5000 per hour"),
        # Where the throttles count: Redis when REDIS_URL is set (shared by every web host), else this process.
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": env.get("RATELIMIT_KEY_PREFIX", "liaison")} if env.get("REDIS_URL") else {},
        "PER_PAGE": 20,
        # Wrong calendar feed URLs tolerated per address and window before wrong ones get 429 (a valid URL never does).
        "FEED_TOKEN_MAX_FAILURES": 10,
        "FEED_TOKEN_WINDOW_SECONDS": 600,
        # A personal feed revalidated again within this many seconds gets its 304 without a database query.
        "FEED_RECHECK_SECONDS": int(env.get("FEED_RECHECK_SECONDS", "60")),
        # The meeting day's live stream (Server-Sent Events): a comment this often, the version read this often when
        # no PostgreSQL LISTEN wakes the stream, and the stream's lifetime (the browser reconnects with Last-Event-ID).
        "LIVE_HEARTBEAT_SECONDS": float(env.get("LIVE_HEARTBEAT_SECONDS", "15")),
        "LIVE_POLL_SECONDS": float(env.get("LIVE_POLL_SECONDS", "0.5")),
        "LIVE_STREAM_SECONDS": float(env.get("LIVE_STREAM_SECONDS", "300")),
        # Application calls one web process runs at once (liaison/admission.py); the others wait their turn. 0: no gate.
        "WEB_ACTIVE_REQUESTS": int(env.get("WEB_ACTIVE_REQUESTS", "3")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": base_url.startswith("https://"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Idle lifetime (the signed cookie's age, renewed by use) and absolute lifetime from the log-in.
        "PERMANENT_SESSION_LIFETIME": int(env.get("SESSION_HOURS", "8")) * 3600,
        "SESSION_ABSOLUTE_HOURS": int(env.get("SESSION_ABSOLUTE_HOURS", "12")),
        "BABEL_DEFAULT_LOCALE": "ja",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Tokyo",
        "WTF_CSRF_TIME_LIMIT": None,
    }
    config["MAX_CONTENT_LENGTH"] = (config["MAX_UPLOAD_MB"] + 1) * 1024 * 1024
    config.update(overrides)

    if not config["SECRET_KEY"]:
        if config["LIAISON_ENV"] == "production":
            raise ConfigError(
                "SECRET_KEY is not set: a production start needs its own secret key "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        config["SECRET_KEY"] = _instance_secret(instance_path)
    elif config["LIAISON_ENV"] == "production" and len(config["SECRET_KEY"]) < 32:
        raise ConfigError("SECRET_KEY is too short for production (at least 32 characters).")
    return config


def normalise_database_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url
