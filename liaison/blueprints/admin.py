"""Administration (システム管理者 only): users and their accounts.

Memberships, the handover and 年度更新 are in admin_seats.py, the audit log and the public pages' settings in
admin_records.py; all register on one `bp` (admin_blueprint.py), so the endpoints stay "admin.*".
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from ..domain import accounts
from ..domain import users as user_rules
from ..extensions import db
from ..forms.admin import EmptyForm, NewUserForm, PasswordResetForm, UserForm
from ..models import Body, Membership, User
from ..pagination import paginate
from . import admin_records, admin_seats  # noqa: F401 (their views join bp)
from .admin_blueprint import _back, _body_choices, bp  # noqa: F401 (bp: registered from here by blueprints/__init__.py)
from .handling import act
from .loading import get_or_404


@bp.get("/")
def index():
    return redirect(url_for("admin.users"))


@bp.get("/users")
def users():
    q = (request.args.get("q") or "").strip()
    query = select(User).options(joinedload(User.body)).order_by(User.id)
    if q:
        like = f"%{q}%"
        query = query.where(or_(User.email.ilike(like), User.name.like(like)))
    page = paginate(query)
    return render_template("admin/users.html", page=page, q=q)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewUserForm()
    form.body_id.choices = _body_choices()
    return act(
        form,
        lambda: accounts.create_invited_user(
            actor=current_user, email=form.email.data, name=form.name.data,
            title=form.title.data, body=db.session.get(Body, form.body_id.data) if form.body_id.data else None,
            department=form.department.data, is_admin=form.is_admin.data, is_secretariat=form.is_secretariat.data,
        ),
        success=lambda user: _("%(name)sさんのアカウントを作成し、招待メールを送信します。", name=user.name),
        to=lambda user: redirect(url_for("admin.edit_user", user_id=user.id)),
        page=lambda: render_template("admin/user_form.html", form=form, user=None),
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id):
    user = get_or_404(User, user_id)
    form = UserForm(obj=user if request.method == "GET" else None)
    form.body_id.choices = _body_choices()
    if request.method == "GET":
        form.body_id.data = user.body_id or 0
    return act(
        form,
        lambda: user_rules.update_profile(
            user, actor=current_user, email=form.email.data, name=form.name.data, title=form.title.data,
            body=db.session.get(Body, form.body_id.data) if form.body_id.data else None,
            department=form.department.data, is_admin=form.is_admin.data, is_secretariat=form.is_secretariat.data,
        ),
        success=_("アカウントを更新しました。"), to=lambda _result: redirect(url_for("admin.edit_user", user_id=user.id)),
        page=lambda: _user_page(user, form),
    )


def _user_page(user, form):
    memberships = db.session.scalars(
        select(Membership).options(joinedload(Membership.committee), joinedload(Membership.body))
        .where(Membership.user_id == user.id).order_by(Membership.fiscal_year.desc(), Membership.committee_id)
    ).all()
    return render_template(
        "admin/user_form.html", form=form, user=user, memberships=memberships,
        reset_form=PasswordResetForm(formdata=None), action_form=EmptyForm(),
    )


@bp.post("/users/<int:user_id>/active")
def set_active(user_id):
    user = get_or_404(User, user_id)
    activate = request.form.get("active") == "1"
    back = _back(url_for("admin.edit_user", user_id=user.id))
    return act(
        EmptyForm(), lambda: user_rules.set_active(user, activate, actor=current_user),
        success=_("アカウントを有効にしました。") if activate else _("アカウントを無効にしました。"), to=back, page=back,
    )


def _flash_errors(form) -> None:
    for errors in form.errors.values():
        for message in errors:
            flash(message, "error")


@bp.post("/users/<int:user_id>/sessions")
def end_sessions(user_id):
    """Log the user out everywhere: every session of theirs, on every host, ends at its next request."""
    user = get_or_404(User, user_id)
    return act(
        EmptyForm(), lambda: user_rules.end_sessions(user, actor=current_user),
        success=_("このアカウントのすべてのセッションを終了しました。"),
        to=_back(url_for("admin.edit_user", user_id=user.id)),
    )


@bp.post("/users/<int:user_id>/invite")
def invite(user_id):
    """Send the invitation again (a newer link: the older one stops working)."""
    user = get_or_404(User, user_id)
    return act(
        EmptyForm(), lambda: accounts.invite(user, actor=current_user),
        success=_("%(name)sさんに招待メールを送信します。", name=user.name),
        to=lambda _token: redirect(url_for("admin.edit_user", user_id=user.id)),
    )


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id):
    user = get_or_404(User, user_id)
    form = PasswordResetForm()

    def invalid_page():
        _flash_errors(form)
        return _user_page(user, UserForm(obj=user))

    return act(
        form, lambda: user_rules.reset_password(user, form.password.data, actor=current_user),
        success=_("パスワードを再設定しました。本人に安全な方法で伝えてください。"),
        to=lambda _result: (redirect(url_for("admin.edit_user", user_id=user.id)), 303),
        page=invalid_page, refused=lambda: _user_page(user, UserForm(obj=user)),
    )
