"""Administration of the records: the audit log (and its CSV) and 情報公開, the public pages' settings."""
from __future__ import annotations

from datetime import datetime

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..dates import TOKYO
from ..domain import access, audit, audit_labels
from ..domain import public as public_rules
from ..extensions import db
from ..forms.admin import PublicSettingsForm
from ..forms.guards import sane_day
from ..models import Committee
from ..pagination import paginate
from .admin_blueprint import bp
from .csv_export import csv_response
from .handling import act


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
