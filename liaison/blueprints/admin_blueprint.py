"""The admin blueprint (/admin, システム管理者 only): the Blueprint object, its guard, and the helpers its route
modules share (blueprints/admin.py, admin_seats.py, admin_records.py register their views on `bp`)."""
from __future__ import annotations

from flask import Blueprint, redirect
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..domain import require
from ..extensions import db
from ..labels import role_label
from ..models import Body, Role

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _administrators_only():
    require(current_user.is_admin, "administrators only")


def _body_choices(blank: bool = True):
    bodies = db.session.scalars(select(Body).order_by(Body.position))
    choices = [(0, _("(なし)"))] if blank else []
    return choices + [(b.id, b.name) for b in bodies]


def _role_choices():
    return [(role.value, role_label(role)) for role in Role]


def _back(url: str):
    """A button on a list: success and refusal alike go back to it (the flash says which)."""
    return lambda *_result: (redirect(url), 303)
