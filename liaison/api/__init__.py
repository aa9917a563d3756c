"""The JSON API, /api/v1: personal access tokens, problem+json errors, ETags, and its OpenAPI 3.1 description.

flask-smorest builds the description from the code (`/api/v1/openapi.json`); the app stays a plain Flask
app and the API is one blueprint of it (`liaison/api/views.py`). A request is authenticated only by
`Authorization: Bearer <token>` (never by the session cookie, so a write has no CSRF surface); it acts as
the token's user, asks the domain what that user may see and do, and commits once like every page
(`blueprints/handling.py`).
"""
from __future__ import annotations

from http import HTTPStatus

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from ..extensions import csrf
from .core import PROBLEM_TYPE, ProblemSchema

EXTENSION = "liaison.api"


class LiaisonApi(Api):
    """flask-smorest's Api without its app-wide error handler (the pages keep theirs): errors of the API
    are answered by the API blueprint's own handlers, as application/problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        pass

    def _register_responses(self):
        for status in HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def init_api(app: Flask) -> None:
    from . import views
    # The resources' views join views.blp in this order (the description's order of paths).
    from . import meeting_views, vote_views, proposal_views, minutes_views, task_views  # noqa: F401, I001

    config = app.config
    config.setdefault("API_RATE_LIMITS", "300 per minute; 5000 per hour")  # per token, every request
    config.setdefault("API_BAD_TOKEN_LIMITS", "20 per 10 minutes")  # wrong tokens, per address
    config.setdefault("API_TITLE", "liaison API")
    config.setdefault("API_VERSION", "v1")
    config.setdefault("OPENAPI_VERSION", "3.1.0")
    config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": "彩の国さいたま人づくり広域連合 連絡調整会議・部会の会議運営システム liaison の API。"
                                "Authorization: Bearer <personal access token>."},
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "security": [{"token": []}],
    })
    api = LiaisonApi(app)
    api.register_blueprint(views.blp)
    csrf.exempt(views.blp)  # no cookie is ever taken as authentication here (core.authenticate)
    app.register_blueprint(views.pages)
    app.extensions[EXTENSION] = api

