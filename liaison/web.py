"""Request-level wiring: log-in loading, locale, template helpers, error pages, SQLite pragmas."""
from __future__ import annotations

import logging

from flask import Flask, before_render_template, g, has_request_context, template_rendered, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from . import dates, i18n, input_guard, labels, request_memo
from .domain import Conflict, DomainError
from .domain import access
from .domain import attachments as attachment_files
from .domain import notifications as notification_rules
from .extensions import db, login_manager
from .markdown import render as render_markdown
from .models import User
from .pages import cache as page_cache
from .pages import viewers as page_viewers

log = logging.getLogger(__name__)
LOCALES = ("ja", "en")
DATABASE_UNAVAILABLE = "liaison.database_unavailable"  # set on the WSGI environ by the 503 handler
RETRY_AFTER_SECONDS = 5


class RetryReadsOnce:
    """A GET or HEAD that failed on a dropped database connection runs once more before its 503 goes out.

    The second run takes a new pooled connection (checked by pool_pre_ping); a write (POST) is never
    repeated: it answers 503 with Retry-After, its transaction rolled back.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self.wsgi_app(environ, start_response)
        fresh = dict(environ)
        started = []

        def hold(status, headers, exc_info=None):
            started[:] = [status, headers, exc_info]
            return lambda data: None  # never used by Flask: the body is the returned iterable

        body = self.wsgi_app(environ, hold)
        if not environ.get(DATABASE_UNAVAILABLE):
            start_response(*started)
            return body
        if hasattr(body, "close"):
            body.close()
        log.warning("a read hit a dead database connection; running %s once more", environ.get("PATH_INFO"))
        return self.wsgi_app(fresh, start_response)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Foreign keys on, and a busy timeout so concurrent writers wait instead of failing."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


class _OnFirstUse:
    """A list a template may not show, loaded when first iterated: the navigation's committees (the seats'
    query) are not read by a page slot's template (liaison/pages/slots.py), which has no navigation."""

    def __init__(self, load):
        self._load, self._items = load, None

    def __iter__(self):
        if self._items is None:
            self._items = list(self._load())
        return iter(self._items)


def select_locale() -> str:
    if not has_request_context():
        return "ja"
    if g.get("api_locale"):  # the JSON API answers in the request's Accept-Language (liaison/api/core.py)
        return g.api_locale
    if "locale" in session and session["locale"] in LOCALES:
        return session["locale"]
    if request.environ.get(DATABASE_UNAVAILABLE):  # the user cannot be loaded: no query
        return "ja"
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in LOCALES:
        return current_user.locale
    return "ja"


@login_manager.user_loader
def load_user(user_id: str):
    try:
        raw_id, version = user_id.split(":")
        if request.method == "GET":  # a page: its header's unread count comes in the same query
            also, keep = page_cache.counters_wanted()  # and, for a cached page, the page counters' version
            if also:  # the user's row only when it may have changed (pages/viewers.py)
                user = page_viewers.load(int(raw_id), also, keep)
            else:
                user = notification_rules.load_with_unread_count(int(raw_id), also, keep)
        else:
            user = db.session.get(User, int(raw_id))
    except (ValueError, TypeError):
        return None
    if user is None or str(user.session_version) != version or not user.active:
        return None
    return user


def _render_error(status: int, message: str | None = None):
    titles = {
        400: _("入力内容に誤りがあります"),
        403: _("このページを表示する権限がありません"),
        404: _("ページが見つかりません"),
        405: _("この操作はできません"),
        409: _("この操作はすでに行われています"),
        413: _("ファイルが大きすぎます"),
        429: _("アクセスが集中しています"),
        500: _("システムエラーが発生しました"),
    }
    return render_template("errors/error.html", status=status, title=titles.get(status, titles[400]), message=message), status


def _page_url(number: int) -> str:
    """The current page's URL with ?page=number, keeping the other filters."""
    args = request.args.to_dict()
    args["page"] = number
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def _install_memoised_gettext(app: Flask) -> None:
    """Templates' _() through liaison.i18n's memo (a page calls it a few hundred times)."""
    from flask_babel import get_translations

    app.jinja_env.install_gettext_callables(
        gettext=i18n.translate,
        ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: get_translations().unpgettext(c, s, p, n),
    )


def _pin_locale_while_rendering(app: Flask) -> None:
    """A template's _() and labels read the locale once per rendering (liaison.i18n.pin), inside whatever
    force_locale the rendering runs in (a mail to an English user); a failed rendering's pin ends with the
    app context."""
    def pin(sender, **extra):
        g.setdefault("_liaison_locale_pins", []).append(i18n.pin())

    def unpin(sender, **extra):
        pins = g.get("_liaison_locale_pins")
        if pins:
            i18n.unpin(pins.pop())

    def drop(error=None):
        g.pop("_liaison_locale_pins", None)
        i18n.unpin()

    before_render_template.connect(pin, app, weak=False)
    template_rendered.connect(unpin, app, weak=False)
    app.teardown_appcontext(drop)


def _install_labels(app: Flask) -> None:
    """Every template names a label the same way: label(enum value), and compares enums, not their strings."""
    app.jinja_env.globals.update(
        label=labels.label, response_label=labels.response_label, role_label=labels.role_label,
        quorum_label=labels.quorum_label, history_label=labels.history_label, meeting_name=labels.meeting_name,
        **{enum_type.__name__: enum_type for enum_type in labels.LABELS},
    )


def init_web(app: Flask, babel) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Tokyo")
    attachment_files.register_listeners()
    input_guard.install_converters(app)
    input_guard.init_app(app)
    app.wsgi_app = RetryReadsOnce(app.wsgi_app)
    _install_memoised_gettext(app)
    _install_labels(app)
    _pin_locale_while_rendering(app)
    request_memo.install()
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page explains itself
    login_manager.session_protection = "basic"

    @app.before_request
    def _permanent_session():
        session.permanent = True

    @app.context_processor
    def _template_helpers():
        return {
            "is_staff": access.is_staff(current_user),
            "nav_committees": _OnFirstUse(lambda: access.visible_committees(current_user)),
            "current_locale": str(get_locale()),
            "current_fiscal_year": dates.current_fiscal_year(),
        }

    def _locale() -> str:
        return str(get_locale() or "ja")

    app.jinja_env.globals["page_url"] = _page_url
    app.jinja_env.filters["date_ja"] = lambda v, wareki=False: "" if v is None else dates.format_date(v, wareki=wareki, locale=_locale())
    app.jinja_env.filters["datetime_ja"] = lambda v, wareki=False: "" if v is None else dates.format_datetime(v, wareki=wareki, locale=_locale())
    app.jinja_env.filters["fy_label"] = lambda fy: dates.fiscal_year_label(fy, _locale())
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["tokyo"] = lambda v, fmt="%Y-%m-%d %H:%M": "" if v is None else dates.to_tokyo(v).strftime(fmt)

    @app.errorhandler(Conflict)
    def _conflict(error: Conflict):
        """The one place a repeated transition is answered: a 409 page saying what already happened."""
        db.session.rollback()
        return _render_error(409, error.message)

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        db.session.rollback()
        return _render_error(400, error.message)

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        db.session.rollback()
        return _render_error(400, _("フォームの有効期限が切れたか、不正な送信です。ページを再読み込みしてもう一度お試しください。"))

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(error):
        return _render_error(413, _("アップロードできるファイルは%(mb)dMBまでです。", mb=app.config["MAX_UPLOAD_MB"]))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        db.session.rollback()
        if isinstance(error, input_guard.InputRefused):
            return _render_error(400, error.description)
        if error.code in (400, 403, 404, 405, 429):
            return _render_error(error.code)
        return error

    @app.teardown_appcontext
    def _close_session(exc):
        """Close the session before Flask-SQLAlchemy does (teardowns run in reverse order): a connection the
        server dropped after the response was built must not turn that response into a 500."""
        try:
            db.session.remove()
        except DBAPIError:
            log.warning("closing the session on a dropped database connection", exc_info=True)
            db.session.registry.clear()

    @app.errorhandler(DBAPIError)
    def _database_error(error: DBAPIError):
        """A dropped or refused database connection: 503 with Retry-After and a Japanese page, never a 500."""
        if not isinstance(error, (OperationalError, InterfaceError)) and not error.connection_invalidated:
            return _server_error(error)
        log.warning("database unavailable on %s %s: %s", request.method, request.path, error.orig)
        try:
            db.session.rollback()
        except Exception:  # the connection is gone; the session starts afresh next time
            db.session.remove()
        request.environ[DATABASE_UNAVAILABLE] = True
        # Rendered without the context processors: they would query the database again.
        page = app.jinja_env.get_template("errors/unavailable.html").render(
            locale=select_locale(), path=request.path, title=_("ただいま処理できません"),
            message=_("データベースに接続できませんでした。入力した内容は保存されていません。しばらくしてからもう一度お試しください。"),
        )
        return page, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    @app.errorhandler(Exception)
    def _server_error(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise error
        return _render_error(500)

    @app.teardown_request
    def _rollback_uncommitted(exc):
        # A request commits explicitly; anything left over is discarded, never half-written.
        if exc is not None:
            try:
                db.session.rollback()
            except DBAPIError:  # the connection is gone: nothing to roll back
                log.warning("rollback on a dropped database connection", exc_info=True)
        # What the request kept on flask.g (seats, committees, the unread count) ends with it, even when
        # the app context outlives the request.
        request_memo.forget_all()
