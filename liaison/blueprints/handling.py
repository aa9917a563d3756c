"""How a view ends: one commit per request, and one helper for a form's POST (validate, act, flash, redirect).

Indico's pattern: a view never commits. The request commits once, after the view returned a response
that is not an error (status < 400), and before the response leaves; an exception or a 4xx/5xx rolls back,
so a refusal never leaves anything half-written. If the commit itself fails, the client gets the error
page (not the success redirect) and the flashes queued for it are dropped, so nothing claims success.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, abort, flash, g, make_response, redirect, request, session
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from ..domain import DomainError
from ..extensions import db
from ..pages.versions import WRITTEN

_KEEP = "_liaison_keep_changes"
_READ_ONLY = "_liaison_read_only"
_AUTOCOMMIT = "_liaison_reading_in_autocommit"


def keep_changes() -> None:
    """Commit this request's changes even though it answers with an error (e.g. a refused login's count)."""
    setattr(g, _KEEP, True)


def read_first() -> None:
    """This request may end after reading (a page the page cache may answer, liaison/pages/cache.py): its first
    statements run on a connection in autocommit. The hit's reads are one statement (the user with the page
    counters and seats) and the slots' few: each is consistent on its own, and PostgreSQL's READ COMMITTED gives a
    transaction's statements no common snapshot either; so a hit costs no BEGIN and no COMMIT/ROLLBACK round
    trip. Whatever is to run after the reading (a view) calls `in_transaction()` first."""
    if not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        setattr(g, _AUTOCOMMIT, True)


def in_transaction() -> None:
    """The rest of this request runs in one transaction, as any other request: the reading in autocommit ends
    (its connection goes back to the pool, which resets it) and what it loaded (the logged-in user) is added to
    the session again, as loaded (no query)."""
    if g.pop(_AUTOCOMMIT, False):
        session = db.session()
        loaded = list(session.identity_map.values())
        session.close()
        session.add_all(loaded)


def read_only() -> None:
    """This request only read (a page served from the page cache): it ends without a COMMIT; the session's
    close at the request's end ends its transaction, if any (a rollback, which the pool's reset-on-return then
    skips; nothing at all after reading in autocommit). Should it have written after all, it commits as any
    other request."""
    setattr(g, _READ_ONLY, True)


def _wrote() -> bool:
    session = db.session()
    return bool(session.new or session.dirty or session.deleted or session.info.get(WRITTEN))


def init_transactions(app: Flask) -> None:
    """Register the one commit of a request (and the rollback of a failed one)."""

    @app.after_request
    def _commit_or_roll_back(response: Response) -> Response:
        if response.status_code >= 400 and not g.get(_KEEP, False):
            db.session.rollback()
            return response
        if g.get(_READ_ONLY) and not _wrote():
            return response
        try:
            db.session.commit()
        except Exception as error:
            db.session.rollback()
            session.pop("_flashes", None)  # "saved" must not be shown for what was not saved
            # The app's error handlers answer (the 500 page), instead of the view's success.
            return app.make_response(app.handle_user_exception(error))
        return response


def _as_status(rv: ResponseReturnValue, status: int) -> Response:
    """A rendered page with the given status; a redirect stays a redirect."""
    response = make_response(rv)
    if response.status_code < 300:
        response.status_code = status
    return response


def _put_under_field(error: DomainError, form, fields: Mapping[str, str] | None, fallback: str | None) -> None:
    if form is None:
        return
    candidates = [(fields or {}).get(error.field), error.field] if error.field else []
    name = next((name for name in [*candidates, fallback] if name and name in form), None)
    if name:
        form[name].errors = [*form[name].errors, error.message]


def act(
    form,
    change: Callable[[], Any],
    *,
    success: str | Callable[[Any], str | None] | None,
    to: str | Callable[[Any], str | ResponseReturnValue],
    page: Callable[[], ResponseReturnValue] | None = None,
    refused: Callable[[], ResponseReturnValue] | None = None,
    fields: Mapping[str, str] | None = None,
    fallback_field: str | None = None,
    invalid: str | None = None,
) -> ResponseReturnValue:
    """Validate → call the domain → flash → redirect (303), or re-render with 400 and the field errors.

    - form: the submitted form (a button's form holds only the CSRF token); on GET the page is shown (200).
    - change: the one domain call; its result goes to success and to.
    - success: the flash message, or result -> message (None: nothing flashed).
    - to: where to go after success, a URL or result -> URL (or a ready response).
    - page: the page that holds the form; shown again with 400 when the input is invalid or the domain
      refuses. Without one, invalid input is a plain 400 and a refusal is the error page (400) with its message.
    - refused: what to answer when the domain refuses (default: page, 400).
    - fields / fallback_field: which form field shows a refusal's message (domain name -> form name).
    - invalid: a message flashed when the input is invalid (for forms whose fields show no errors).

    A refusal rolls the request's changes back before the page is rendered again, so the page shows what
    is stored, and its message is flashed (and shown under its field when the form has one).
    """
    if request.method != "POST":
        if page is None:
            abort(405)
        return _as_status(page(), 200)
    if not form.validate_on_submit():
        if page is None:
            abort(400)
        if invalid:
            flash(invalid, "error")
        return _as_status(page(), 400)
    try:
        result = change()
    except DomainError as error:
        answer = refused or page
        if answer is None:
            raise  # the error page (400) says why
        if not g.get(_KEEP, False):
            db.session.rollback()
        _put_under_field(error, form, fields, fallback_field)
        flash(error.message, "error")
        return _as_status(answer(), 400)
    message = success(result) if callable(success) else success
    if message:
        flash(message, "success")
    target = to(result) if callable(to) else to
    if isinstance(target, str):
        return redirect(target, 303)
    return target
