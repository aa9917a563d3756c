"""Administration (システム管理者 only): users, memberships, the yearly handover, the audit log."""
from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from ..dates import TOKYO, current_fiscal_year, fiscal_year_label
from ..i18n import locale
from ..domain import DomainError, access, accounts, audit, audit_labels, require, rollover
from ..domain import memberships as membership_rules
from ..domain import public as public_rules
from ..domain import users as user_rules
from ..extensions import db
from ..labels import role_label
from ..forms.admin import (
    AppointForm, EmptyForm, HandoverForm, NewUserForm, PasswordResetForm, PublicSettingsForm, RoleForm, UserForm,
)
from ..forms.guards import sane_day, sane_year
from ..models import Body, Committee, Membership, Role, User
from ..pagination import paginate
from .csv_export import csv_response
from .handling import act
from .loading import get_or_404

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


def _back(url: str):
    """A button on a list: success and refusal alike go back to it (the flash says which)."""
    return lambda *_result: (redirect(url), 303)


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


def _committee_from_args() -> tuple[Committee, int]:
    committees = access.all_committees()
    slug = request.values.get("committee") or committees[0].slug
    committee = next((c for c in committees if c.slug == slug), None)
    if committee is None:
        abort(404)
    fiscal_year = request.values.get("fy", type=int) or current_fiscal_year()
    if not 2000 <= fiscal_year <= 2100:
        abort(404)
    return committee, fiscal_year


@bp.route("/memberships", methods=["GET", "POST"])
def memberships():
    committee, fiscal_year = _committee_from_args()
    form = AppointForm()
    form.body_id.choices = _body_choices(blank=False)
    form.role.choices = _role_choices()
    form.user_id.choices = [
        (u.id, f"{u.name} <{u.email}>")
        for u in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name))
    ]
    return act(
        form,
        lambda: membership_rules.appoint(
            actor=current_user, committee=committee, fiscal_year=fiscal_year,
            user=get_or_404(User, form.user_id.data), body=get_or_404(Body, form.body_id.data),
            role=Role(form.role.data), department=form.department.data,
        ),
        success=_("委員を登録しました。"),
        to=lambda _seat: (redirect(url_for("admin.memberships", committee=committee.slug, fy=fiscal_year)), 303),
        page=lambda: render_template(
            "admin/memberships.html", committee=committee, fiscal_year=fiscal_year, form=form,
            seats=membership_rules.seats(committee, fiscal_year),
            committees=access.all_committees(),
            role_form=RoleForm(formdata=None), action_form=EmptyForm(), role_choices=_role_choices(),
        ),
    )


@bp.post("/memberships/<int:membership_id>/role")
def change_role(membership_id):
    membership = get_or_404(Membership, membership_id)
    form = RoleForm()
    form.role.choices = _role_choices()
    back = _back(url_for("admin.memberships", committee=membership.committee.slug, fy=membership.fiscal_year))
    return act(form, lambda: membership_rules.change_role(membership, Role(form.role.data), actor=current_user),
               success=_("役割を変更しました。"), to=back, page=back, invalid=_("役割を選んでください。"))


@bp.post("/memberships/<int:membership_id>/end")
def end_membership(membership_id):
    membership = get_or_404(Membership, membership_id)
    back = _back(url_for("admin.memberships", committee=membership.committee.slug, fy=membership.fiscal_year))
    return act(EmptyForm(), lambda: membership_rules.end(membership, actor=current_user),
               success=_("委員を終了しました。記録は残ります。"), to=back, page=back)


@bp.route("/handover", methods=["GET", "POST"])
def handover():
    committee, _unused = _committee_from_args()
    form = HandoverForm(formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.from_year.data = request.args.get("fy", type=int) or current_fiscal_year()
    from_year = form.from_year.data if sane_year(form.from_year.data) else current_fiscal_year()
    current = membership_rules.seats(committee, from_year)

    def hand_over():
        replacements, problems = {}, []
        for membership in current:
            email = (request.form.get(f"replace-{membership.id}") or "").strip()
            if not email:
                continue
            successor = user_rules.find_by_email(email)
            if successor is None:
                problems.append(_("%(seat)s: %(email)s というアカウントはありません。", seat=membership.seat_label, email=email))
            else:
                replacements[membership.id] = successor
        if problems:
            for problem in problems[:-1]:
                flash(problem, "error")
            raise DomainError(problems[-1])  # the last one is flashed with the refusal
        return membership_rules.handover(actor=current_user, committee=committee, from_year=from_year, replacements=replacements)

    return act(
        form, hand_over,
        success=lambda created: _("%(n)d件の委員を%(year)sへ引き継ぎました。", n=len(created),
                                  year=fiscal_year_label(from_year + 1, locale())),
        to=lambda _created: (redirect(url_for("admin.memberships", committee=committee.slug, fy=from_year + 1)), 303),
        page=lambda: render_template(
            "admin/handover.html", committee=committee, form=form, from_year=from_year, seats=current,
            committees=access.all_committees(),
        ),
    )


# --- 年度更新: every committee at once ------------------------------------------------------------

def _rollover_year() -> int:
    raw = request.values.get("to_year", type=int)
    return raw if raw is not None and sane_year(raw) else current_fiscal_year() + 1


def _screen_transfers(bodies) -> list[rollover.Transfer]:
    """The successors typed on screen, one row per body (rows left blank are not transfers)."""
    transfers = []
    for line, body in enumerate(bodies, start=1):
        name, title, email = (request.form.get(f"s-{body.id}-{part}", "").strip() for part in ("name", "title", "email"))
        if name or title or email:
            transfers.append(rollover.Transfer(line, body.name, name, title, user_rules.normalise_email(email)))
    return transfers


def _chosen_chairs(committees) -> dict:
    chairs = {}
    for committee in committees:
        wanted = {role: request.form.get(f"{role.value}-{committee.id}", type=int)
                  for role in (Role.CHAIR, Role.VICE_CHAIR)}
        if any(wanted.values()):
            chairs[committee.id] = {role: body_id for role, body_id in wanted.items() if body_id}
    return chairs


@bp.route("/rollover", methods=["GET", "POST"])
def rollover_page():
    """年度更新: preview (nothing written), then apply in one transaction."""
    to_year = _rollover_year()
    form = EmptyForm()
    committees = access.all_committees()
    last_year = db.session.scalars(
        select(Membership).options(joinedload(Membership.body), joinedload(Membership.user))
        .where(Membership.fiscal_year == to_year - 1, Membership.ended_at.is_(None))
    ).unique().all()
    bodies = sorted({m.body for m in last_year}, key=lambda body: body.position)
    seated = {(m.committee_id, m.body) for m in last_year if not m.department and m.role.has_vote}
    holders = {m.body_id: m.user for m in last_year if not m.department and m.role.has_vote}
    values, preview, status = {}, None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        upload = request.files.get("csv")
        read_problems: list[str] = []
        if upload is not None and upload.filename:
            transfers, read_problems = rollover.read_csv(upload.read(rollover.MAX_CSV_BYTES + 1))
        else:
            transfers = _screen_transfers(bodies)
        chairs = _chosen_chairs(committees)
        if request.form.get("action") == "apply" and not read_problems:
            try:
                result = rollover.apply(to_year, transfers, actor=current_user, chairs=chairs)
            except DomainError:
                db.session.rollback()  # the preview below shows what is stored, with the problems
            else:
                flash(_("%(year)sの委員を%(n)d議席登録しました(登録済み%(already)d議席)。新しい委員には招待メールを送信します。",
                        year=fiscal_year_label(to_year), n=len(result.changes), already=result.already), "success")
                return redirect(url_for("admin.memberships", committee="council", fy=to_year)), 303
        preview = rollover.plan(to_year, transfers, chairs=chairs, read_problems=read_problems)
        values = {t.body.id: t for t in transfers if t.body is not None}
        status = 400 if preview.problems else 200
    return render_template(
        "admin/rollover.html", form=form, to_year=to_year, bodies=bodies, holders=holders, committees=committees,
        seated=seated, values=values, preview=preview, example=rollover.EXAMPLE_CSV, columns=rollover.COLUMNS,
        Role=Role,
    ), status


@bp.get("/rollover/example.csv")
def rollover_example():
    """The 人事異動 list's example file (UTF-8 with BOM, which Excel opens)."""
    rows = list(csv.reader(io.StringIO(rollover.EXAMPLE_CSV)))
    return csv_response(rows[0], rows[1:], "jinji-idou-example.csv")


def _parse_day(value: str | None):
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    return day if sane_day(day) else None  # 9999-12-31 + 1 day would overflow


def _audit_filter() -> tuple[audit.AuditFilter, dict, bool]:
    """The audit page's filters from the query string (bad dates are ignored and reported)."""
    committee_slug = (request.args.get("committee") or "").strip()
    committee = next((c for c in access.all_committees() if c.slug == committee_slug), None) if committee_slug else None
    filters = audit.AuditFilter(
        committee_id=committee.id if committee else None,
        object_type=(request.args.get("object_type") or "").strip(),
        object_id=request.args.get("object_id", type=int),
        actor=(request.args.get("actor") or "").strip(),
        day_from=_parse_day(request.args.get("from")), day_to=_parse_day(request.args.get("to")),
    )
    shown = {"committee": committee.slug if committee else "", "actor": filters.actor,
             "object_type": filters.object_type, "object_id": filters.object_id or "",
             "from": request.args.get("from", ""), "to": request.args.get("to", "")}
    invalid = bool((request.args.get("from") and not filters.day_from) or (request.args.get("to") and not filters.day_to))
    return filters, shown, invalid


@bp.get("/audit")
def audit_log():
    filters, shown, invalid_dates = _audit_filter()
    return render_template(
        "admin/audit.html", page=paginate(audit.events_query(filters), per_page=50),
        object_types=audit.object_types(), committees=access.all_committees(), filters=shown,
        invalid_dates=invalid_dates, labels=audit_labels,
        csv_url=url_for("admin.audit_csv", **{k: v for k, v in shown.items() if v}),
    ), 400 if invalid_dates else 200


@bp.get("/audit.csv")
def audit_csv():
    """The filtered rows as CSV (UTF-8 with a BOM for Excel, ISO 8601 times in JST), every page at once."""
    filters, _shown, _invalid = _audit_filter()
    events = db.session.scalars(audit.events_query(filters).execution_options(yield_per=1000))
    stamp = datetime.now(TOKYO).strftime("%Y%m%d-%H%M")
    return csv_response(audit_labels.csv_header(), audit_labels.csv_rows(events), f"audit-{stamp}.csv")


# ------------------------------------------------------------------------ 情報公開: the public pages

def _public_forms(failed: Committee | None = None, failed_form=None) -> dict[int, PublicSettingsForm]:
    forms = {}
    for committee in access.all_committees():
        if failed is not None and committee.id == failed.id:
            forms[committee.id] = failed_form
            continue
        form = PublicSettingsForm(prefix=committee.slug, formdata=None)
        form.public.data = committee.public_minutes
        form.mask_names.data = committee.public_mask_names
        form.keep_officers.data = committee.public_keep_officers
        forms[committee.id] = form
    return forms


def _public_page(forms):
    return render_template("admin/public_settings.html", committees=access.all_committees(), forms=forms)


@bp.get("/public")
def public_settings():
    return _public_page(_public_forms())


@bp.post("/public/<slug:slug>")
def set_public_settings(slug: str):
    committee = access.committee_by_slug(slug) or abort(404)
    form = PublicSettingsForm(prefix=committee.slug)
    return act(
        form,
        lambda: public_rules.set_settings(committee, actor=current_user, public=form.public.data,
                                          mask_names=form.mask_names.data, keep_officers=form.keep_officers.data),
        success=_("%(name)sの公開設定を保存しました。", name=committee.name),
        to=lambda _result: (redirect(url_for("admin.public_settings")), 303),
        page=lambda: _public_page(_public_forms(committee, form)),
    )
