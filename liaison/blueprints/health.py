"""/healthz: 200 when the database answers; /readyz: 503 also when the outbox is stuck (issue 16)."""
from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import csrf, db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@csrf.exempt
def healthz():
    for attempt in (1, 2):  # a pooled connection that died under the query is retried once on a new one
        try:
            db.session.execute(text("SELECT 1"))
            break
        except SQLAlchemyError:
            db.session.rollback()
            if attempt == 2:
                return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/readyz")
@csrf.exempt
def readyz():
    """For a load balancer or monitoring: the database answers and no due mail waits beyond
    NOTIFY_STUCK_MINUTES (the scheduler stopped, the SMTP server unreachable); the sender's state in JSON."""
    from ..notify.status import sender_status

    for attempt in (1, 2):  # as /healthz: once more on a new connection
        try:
            status = sender_status()
            break
        except SQLAlchemyError:
            db.session.rollback()
            if attempt == 2:
                return jsonify(status="error", database="unreachable"), 503
    body = {"status": "stuck" if status.stuck else "ready", "database": "ok", "outbox": status.as_json()}
    return jsonify(body), 503 if status.stuck else 200
