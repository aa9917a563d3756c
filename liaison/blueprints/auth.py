"""Log in, log out, and the user's own account page."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from .. import security
from ..domain import DomainError
from ..domain import accounts
from ..domain import api_tokens
from ..domain import users as user_rules
from ..forms.auth import (
    ApiTokenForm, ConfirmForm, EmailChangeForm, ForgotPasswordForm, LocaleForm, LoginForm, PasswordChangeForm, ProfileForm,
    SetPasswordForm,
)
from ..dates import utcnow
from ..models import TokenPurpose
from .handling import act

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Only a local path: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target:
        return None
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("dashboard.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        email = user_rules.normalise_email(form.email.data)
        wait = security.login_wait(email)
        if wait:
            # The same answer whether the address has an account or not, and whatever the password.
            flash(_too_many_attempts(wait), "error")
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}
        try:
            user = user_rules.authenticate(email, form.password.data)
        except user_rules.LoginRefused as refused:
            security.login_failed(email)
            flash(refused.message, "error")
            return render_template("auth/login.html", form=form), 401
        session.clear()
        login_user(user)
        security.session_started()
        session["locale"] = user.locale
        response = make_response(redirect(safe_next(form.next.data) or url_for("dashboard.index")))
        security.login_succeeded(email, response)
        return response
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


def _too_many_attempts(seconds: int) -> str:
    return _("ログインの失敗が続いたため、しばらく受け付けを停止しています。約%(minutes)d分後に再度お試しください。",
             minutes=max(1, (seconds + 59) // 60))


@bp.post("/logout")
@login_required
def logout():
    # The session generation goes up: this cookie, and any copy of it, is refused by every host from now on.
    user_rules.end_sessions(current_user, actor=current_user)
    logout_user()
    session.clear()
    flash(_("ログアウトしました。"), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = PasswordChangeForm()
    user_key = str(current_user.id)
    wait = security.CURRENT_PASSWORD.retry_after(user_key) if form.is_submitted() else 0
    if wait:
        flash(_("現在のパスワードの誤りが続いたため、しばらく変更を受け付けません。約%(minutes)d分後に再度お試しください。",
                minutes=max(1, (wait + 59) // 60)), "error")
        return _account_page(form), 429, {"Retry-After": str(wait)}

    def change():
        try:
            user_rules.change_own_password(current_user, form.current.data, form.password.data)
        except DomainError as error:
            if error.field == "current":
                security.CURRENT_PASSWORD.fail(user_key)  # guesses at the current password are throttled
            raise

    def changed(_result):
        login_user(current_user)  # the session version changed: renew this session only
        return redirect(url_for("auth.account"))

    return act(
        form, change, success=_("パスワードを変更しました。"), to=changed,
        page=lambda: _account_page(form),
    )


def _account_page(form=None, profile_form=None, email_form=None, token_form=None, new_secret=None):
    """The account page: profile, e-mail, seats by fiscal year, calendar feed, API tokens, password."""
    if profile_form is None:
        profile_form = ProfileForm(formdata=None, obj=current_user)
    return render_template(
        "auth/account.html", form=form or PasswordChangeForm(formdata=None), profile_form=profile_form,
        email_form=email_form or EmailChangeForm(formdata=None), seats_by_year=user_rules.seats_by_year(current_user),
        token_form=token_form or ApiTokenForm(formdata=None), api_tokens=api_tokens.tokens_of(current_user),
        new_secret=new_secret, now=utcnow(),
    )


@bp.post("/account/tokens")
@login_required
def create_token():
    """A personal access token for the JSON API: its secret is shown on the page that answers, once."""
    form = ApiTokenForm()
    return act(
        form, lambda: api_tokens.create(current_user, actor=current_user, name=form.name.data,
                                        write=bool(form.write.data), days=form.days.data),
        success=_("アクセストークンを作成しました。この画面を離れると二度と表示されません。今すぐ控えてください。"),
        to=lambda made: make_response(_account_page(new_secret=made[1])),
        page=lambda: _account_page(token_form=form), fields={"days": "days", "name": "name"},
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    token = api_tokens.token_of(current_user, token_id)
    if token is None:
        abort(404)
    return act(ConfirmForm(), lambda: api_tokens.revoke(token, actor=current_user),
               success=_("アクセストークン「%(name)s」を無効にしました。", name=token.name),
               to=url_for("auth.account") + "#api-tokens")


@bp.post("/account/profile")
@login_required
def update_profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return _account_page(profile_form=form), 400
    try:
        user_rules.update_own_details(current_user, name=form.name.data, title=form.title.data)
    except DomainError as error:
        flash(error.message, "error")
        return _account_page(profile_form=form), 400
    flash(_("氏名・役職を更新しました。"), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/email")
@login_required
def request_email_change():
    """A new e-mail takes effect only once the link sent to it is followed."""
    form = EmailChangeForm()
    if not form.validate_on_submit():
        return _account_page(email_form=form), 400
    try:
        accounts.request_email_change(current_user, form.email.data)
    except DomainError as error:
        if error.field == "email":
            form.email.errors.append(error.message)
        flash(error.message, "error")
        return _account_page(email_form=form), 400
    flash(_("%(email)s に確認のメールを送信します。メールのリンクを開くと、メールアドレスが変更されます。",
            email=user_rules.normalise_email(form.email.data)), "success")
    return redirect(url_for("auth.account"))


@bp.post("/locale")
def set_locale():
    form = LocaleForm()

    def choose():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data

    return act(
        form, choose, success=None, to=lambda _result: safe_next(form.next.data) or url_for("dashboard.index"),
        page=lambda: (redirect(url_for("dashboard.index")), 303), invalid=_("表示言語を変更できませんでした。"),
    )


# --- links sent by mail: password reset, invitation, e-mail confirmation ------------------------------

@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """「パスワードを忘れた場合」: the same answer whether or not the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        wait = security.password_reset_wait()
        if wait:
            flash(_("再設定の依頼が続いたため、しばらく受け付けを停止しています。約%(minutes)d分後に再度お試しください。",
                    minutes=max(1, (wait + 59) // 60)), "error")
            return render_template("auth/forgot.html", form=form), 429, {"Retry-After": str(wait)}
        email = user_rules.normalise_email(form.email.data)
        if security.password_reset_requested(email):
            accounts.request_password_reset(email)
        return render_template("auth/forgot_sent.html", email=email)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/forgot.html", form=form), status


def _refused(refused: accounts.LinkRefused):
    """An expired, used, superseded or forged link says so and offers a new one (410 for a dead link)."""
    status = 404 if refused.problem is accounts.LinkProblem.INVALID else 410
    return render_template("auth/link_refused.html", message=refused.message), status


@bp.route("/password/set/<secret>", methods=["GET", "POST"])
def set_password(secret):
    try:
        token = accounts.resolve(secret, (TokenPurpose.INVITATION, TokenPurpose.PASSWORD_RESET))
    except accounts.LinkRefused as refused:
        return _refused(refused)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.set_password(token, form.password.data)
        except accounts.LinkRefused as refused:
            return _refused(refused)
        except DomainError as error:
            flash(error.message, "error")
            return render_template("auth/set_password.html", form=form, token=token), 400
        session.clear()
        login_user(user)
        security.session_started()
        session["locale"] = user.locale
        flash(_("パスワードを設定しました。"), "success")
        return redirect(url_for("dashboard.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/set_password.html", form=form, token=token), status


@bp.route("/account/email/<secret>", methods=["GET", "POST"])
def confirm_email(secret):
    try:
        token = accounts.resolve(secret, (TokenPurpose.EMAIL_CHANGE,))
    except accounts.LinkRefused as refused:
        return _refused(refused)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            accounts.confirm_email(token)
        except accounts.LinkRefused as refused:
            return _refused(refused)
        except DomainError as error:
            flash(error.message, "error")
            return render_template("auth/confirm_email.html", form=form, token=token), 400
        flash(_("メールアドレスを変更しました。次回から新しいメールアドレスでログインしてください。"), "success")
        return redirect(url_for("auth.account" if current_user.is_authenticated else "auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/confirm_email.html", form=form, token=token), status
