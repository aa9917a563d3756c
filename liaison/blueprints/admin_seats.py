"""Administration of the seats: memberships (委員), the committee's handover, 年度更新 for every committee."""
from __future__ import annotations

import csv
import io

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..dates import current_fiscal_year, fiscal_year_label
from ..i18n import locale
from ..domain import DomainError, access, rollover
from ..domain import memberships as membership_rules
from ..domain import users as user_rules
from ..extensions import db
from ..forms.admin import AppointForm, EmptyForm, HandoverForm, RoleForm
from ..forms.guards import sane_year
from ..models import Body, Committee, Membership, Role, User
from .admin_blueprint import _back, _body_choices, _role_choices, bp
from .csv_export import csv_response
from .handling import act
from .loading import get_or_404


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
