"""What every API request shares: the token, the scope, the rate limit, problem+json, ETag and 304, pages."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

import marshmallow as ma
from flask import Response, current_app, g, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from .. import security
from ..dates import fiscal_year_label, to_tokyo
from ..domain import Conflict, DomainError
from ..domain import api_tokens
from ..domain import audit
from ..extensions import db

PROBLEM_TYPE = "application/problem+json"
LOCALES = ("ja", "en")
READ_METHODS = ("GET", "HEAD", "OPTIONS")
API_TOKEN_USE = security.Throttle("api-token", "API_RATE_LIMITS")
API_BAD_TOKEN = security.Throttle("api-bad-token", "API_BAD_TOKEN_LIMITS")


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details; title and detail in Japanese or English (Accept-Language)."""

    type = ma.fields.String(required=True, metadata={"description": "about:blank"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    instance = ma.fields.String()
    errors = ma.fields.Dict(metadata={"description": "入力項目ごとの誤り (422)"})


def api_locale() -> str:
    return request.accept_languages.best_match(LOCALES) or "ja"


def _titles() -> dict[int, str]:
    return {
        400: _("入力内容に誤りがあります"),
        401: _("認証が必要です"),
        403: _("この操作を行う権限がありません"),
        404: _("見つかりません"),
        405: _("この操作はできません"),
        409: _("この操作はすでに行われています"),
        413: _("ファイルが大きすぎます"),
        422: _("入力内容に誤りがあります"),
        429: _("アクセスが集中しています"),
        500: _("システムエラーが発生しました"),
    }


def _details() -> dict[int, str]:
    return {
        401: _("有効なアクセストークンを Authorization: Bearer ヘッダーで送ってください。"),
        403: _("このトークンまたは利用者には、この操作の権限がありません。"),
        404: _("指定されたものは存在しないか、表示できません。"),
        429: _("しばらくしてからもう一度お試しください。"),
    }


def problem(status: int, detail: str | None = None, *, errors: dict | None = None, headers: dict | None = None) -> Response:
    """An application/problem+json response; title (and the default detail) in the request's language."""
    with force_locale(g.get("api_locale") or api_locale()):
        body = {"type": "about:blank", "title": _titles().get(status, _titles()[400] if status < 500 else _titles()[500]),
                "status": status}
        detail = detail if detail is not None else _details().get(status)
        if detail:
            body["detail"] = detail
    body["instance"] = request.path
    if errors:
        body["errors"] = errors
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_TYPE)
    response.headers["Content-Language"] = g.get("api_locale") or api_locale()
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


# ------------------------------------------------------------------------------------- error handlers

def register_problem_handlers(bp) -> None:
    @bp.errorhandler(Conflict)
    def _conflict(error: Conflict):
        db.session.rollback()
        return problem(409, error.message)

    @bp.errorhandler(DomainError)
    def _refused(error: DomainError):
        db.session.rollback()
        return problem(422, error.message, errors={error.field: [error.message]} if error.field else None)

    @bp.errorhandler(HTTPException)
    def _http(error: HTTPException):
        db.session.rollback()
        data = getattr(error, "data", None) or {}
        errors = data.get("messages") or data.get("errors")
        if isinstance(errors, dict) and len(errors) == 1 and next(iter(errors)) in ("json", "query"):
            errors = next(iter(errors.values()))  # webargs' location level says nothing to a client
        headers = dict(data.get("headers") or {})
        if error.code == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="liaison"')
        detail = None
        if error.code in (400, 422) and errors:
            with force_locale(g.get("api_locale") or api_locale()):
                detail = _("入力内容を確認してください。")
        return problem(error.code or 500, detail, errors=errors if isinstance(errors, dict) else None, headers=headers)


# ------------------------------------------------------------------------------------- authentication

def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate():
    """before_request of the API: the token (never the session cookie), the scope, the per-token limit."""
    g.api_locale = api_locale()
    address = security.remote_address()
    wait = API_BAD_TOKEN.retry_after(address)
    if wait:
        return problem(429, headers={"Retry-After": str(wait)})
    secret = _bearer()
    token = api_tokens.authenticate(secret) if secret else None
    if token is None:
        if secret:
            API_BAD_TOKEN.fail(address)
        return problem(401, headers={"WWW-Authenticate": 'Bearer realm="liaison"'})
    key = str(token.id)
    wait = API_TOKEN_USE.retry_after(key)
    if wait:
        return problem(429, headers={"Retry-After": str(wait)})
    API_TOKEN_USE.fail(key)  # every request counts
    if request.method not in READ_METHODS and not token.can_write:
        with force_locale(g.api_locale):
            return problem(403, _("このトークンは読み取り専用です。書き込みには読み取りと書き込みのトークンが必要です。"))
    g.api_token = token
    g._login_user = token.user  # flask_login's current_user, for this request only (no session is written)
    g.api_audit_channel = audit.via("api")
    g.api_audit_channel.__enter__()
    return None


def leave(exc=None):
    channel = g.pop("api_audit_channel", None)
    if channel is not None:
        channel.__exit__(None, None, None)


def user():
    return g.api_token.user


# ------------------------------------------------------------------------------------- ETag and 304

def with_etag(response: Response) -> Response:
    """Every successful GET carries a strong ETag of its body and answers 304 to a matching If-None-Match."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.direct_passthrough:
        return response
    tag = hashlib.sha256(response.get_data()).hexdigest()[:32]
    response.set_etag(tag)
    if request.if_none_match.contains(tag):
        not_modified = current_app.response_class(status=304)
        not_modified.set_etag(tag)
        return not_modified
    return response


# ------------------------------------------------------------------------------------- values

def when(value: datetime | None) -> datetime | None:
    """An instant in Asia/Tokyo (ISO 8601 with +09:00 once dumped)."""
    return None if value is None else to_tokyo(value)


def fiscal_year(year: int) -> dict:
    return {"year": year, "label": fiscal_year_label(year, "ja")}


class FiscalYearSchema(ma.Schema):
    year = ma.fields.Integer(required=True, metadata={"example": 2026})
    label = ma.fields.String(required=True, metadata={"example": "令和8年度"})


class PageArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=100000))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


class LinksSchema(ma.Schema):
    self = ma.fields.String(required=True)
    next = ma.fields.String(allow_none=True)
    prev = ma.fields.String(allow_none=True)


def page_schema(item_schema, name: str) -> type[ma.Schema]:
    return ma.Schema.from_dict({
        "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
        "page": ma.fields.Integer(required=True),
        "per_page": ma.fields.Integer(required=True),
        "total": ma.fields.Integer(required=True),
        "links": ma.fields.Nested(LinksSchema, required=True),
    }, name=name)


def paginate(query, args: dict, dump) -> dict:
    """A page of a select (two queries: count and rows), with links to the next and previous pages."""
    page, per_page = args["page"], args["per_page"]
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    rows = list(pagination.items)
    extra = {k: v for k, v in request.args.items() if k not in ("page", "per_page")}

    def link(number: int) -> str:
        return url_for(request.endpoint, **(request.view_args or {}), **extra, page=number, per_page=per_page)

    return {
        "items": dump(rows), "page": page, "per_page": per_page, "total": pagination.total or 0,
        "links": {"self": link(page), "next": link(page + 1) if page * per_page < (pagination.total or 0) else None,
                  "prev": link(page - 1) if page > 1 else None},
    }
