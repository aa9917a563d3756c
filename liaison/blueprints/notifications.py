"""Notifications: my list and settings (/notifications), the outbox for administrators
(/admin/notifications), and a meeting's reminder settings (/<slug>/meetings/<id>/reminders)."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload

from ..domain import access, require
from ..domain import notifications as rules
from ..extensions import db
from ..forms.admin import EmptyForm
from ..forms.notifications import CommitteeRemindersForm, MeetingRemindersForm, PreferencesForm
from ..models import Committee, Meeting, Notification, NotificationKind, NotificationState
from ..labels import meeting_name
from ..pagination import paginate
from .handling import act
from .loading import get_or_404, meeting_or_404, own_notification_or_404
from .scoping import committee_blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
admin_bp = Blueprint("notification_admin", __name__, url_prefix="/admin/notifications")
meeting_bp = committee_blueprint("meeting_reminders", __name__, "/meetings")


@bp.app_context_processor
def _header_badge():
    # Called by base.html only for a logged-in user: one COUNT query per page.
    return {"unread_notifications": lambda: rules.unread_count(current_user)}




@bp.get("/")
@login_required
def index():
    page = paginate(rules.inbox_query(current_user))
    return render_template("notifications/index.html", page=page, form=EmptyForm())


@bp.post("/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    """Mark read and go to the page it is about."""
    notification = own_notification_or_404(notification_id)
    return act(EmptyForm(), lambda: rules.mark_read(notification, actor=current_user), success=None,
               to=lambda _result: notification.link or url_for(".index"))


@bp.post("/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    notification = own_notification_or_404(notification_id)
    return act(EmptyForm(), lambda: rules.mark_read(notification, actor=current_user), success=None,
               to=url_for(".index", page=request.args.get("page", 1, type=int)))


@bp.post("/read-all")
@login_required
def mark_all_read():
    return act(EmptyForm(), lambda: rules.mark_all_read(actor=current_user),
               success=lambda marked: _("%(count)d件を既読にしました。", count=marked), to=url_for(".index"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    preference = rules.preferences(current_user)
    form = PreferencesForm()
    if request.method == "GET":
        form.daily_digest.data = preference.daily_digest
        for kind, field in form.kind_fields():
            field.data = preference.wants_email(kind)
    return act(
        form,
        lambda: rules.update_preferences(
            current_user, actor=current_user, daily_digest=form.daily_digest.data,
            email_kinds={kind for kind, field in form.kind_fields() if field.data},
        ),
        success=_("通知の設定を保存しました。"), to=url_for(".settings"),
        page=lambda: render_template("notifications/settings.html", form=form),
    )


# --- administrators: the outbox ---------------------------------------------------------------------

@admin_bp.before_request
@login_required
def _administrators_only():
    require(current_user.is_admin, "administrators only")


STATE_FILTERS = ("problems", "pending", "sent", "failed", "void", "all")


@admin_bp.get("/")
def outbox():
    """Failed mails first, then those being retried; filter by state."""
    state = request.args.get("state", "problems")
    if state not in STATE_FILTERS:
        state = "problems"
    query = select(Notification).options(joinedload(Notification.recipient))
    if state == "problems":
        query = query.where(
            (Notification.state == NotificationState.FAILED)
            | ((Notification.state.in_([NotificationState.PENDING, NotificationState.SENDING])) & (Notification.attempts > 0))
        )
    elif state != "all":
        query = query.where(Notification.state == NotificationState(state))
    failed_first = case((Notification.state == NotificationState.FAILED, 0), else_=1)
    page = paginate(query.order_by(failed_first, Notification.due_at.desc(), Notification.id.desc()))
    from ..notify.status import sender_status

    return render_template("notifications/admin.html", page=page, state=state, states=STATE_FILTERS, form=EmptyForm(),
                           sender=sender_status())


@admin_bp.post("/<int:notification_id>/retry")
def retry(notification_id: int):
    notification = get_or_404(Notification, notification_id)
    return act(EmptyForm(), lambda: rules.retry(notification, actor=current_user),
               success=_("再送を予約しました。次回のスケジューラ実行で送信します。"),
               to=url_for(".outbox", state=request.args.get("state", "problems")))


def _committee_forms(committees, failed: Committee | None = None, failed_form=None):
    forms = {}
    for committee in committees:
        if failed is not None and committee.id == failed.id:
            forms[committee.id] = failed_form
            continue
        form = CommitteeRemindersForm(prefix=committee.slug, formdata=None)
        form.days.data = committee.reminder_days
        form.at.data = committee.reminder_time.strftime("%H:%M")
        form.answer_days.data = committee.answer_reminder_days
        form.proposal_days.data = committee.proposal_reminder_days
        form.vote_days.data = committee.vote_reminder_days
        form.review_days.data = committee.review_reminder_days
        forms[committee.id] = form
    return forms


def _reminders_page(forms):
    committees = list(access.all_committees())
    meetings = rules.upcoming_meetings()
    by_id = {c.id: c for c in committees}
    return render_template(
        "notifications/reminders.html", committees=committees, forms=forms, meetings=meetings,
        committee_of=by_id, meeting_label=meeting_name,
    )


@admin_bp.get("/reminders")
def reminders():
    committees = list(access.all_committees())
    return _reminders_page(_committee_forms(committees))


@admin_bp.post("/reminders/<slug:slug>")
def committee_reminders(slug: str):
    committee = access.committee_by_slug(slug) or abort(404)
    form = CommitteeRemindersForm(prefix=committee.slug)
    return act(
        form,
        lambda: rules.set_committee_reminders(
            committee, actor=current_user, days=form.days.data or "", at=form.at.data,
            answer_days=form.answer_days.data, proposal_days=form.proposal_days.data,
            vote_days=form.vote_days.data or "", review_days=form.review_days.data,
        ),
        success=_("%(name)sのお知らせの既定を保存しました。", name=committee.name), to=url_for(".reminders"),
        fallback_field="days", page=lambda: _reminders_page(_committee_forms(list(access.all_committees()), committee, form)),
    )


# --- one meeting's reminders (the secretariat) ------------------------------------------------------

@meeting_bp.route("/<int:meeting_id>/reminders", methods=["GET", "POST"])
def meeting_reminders(meeting_id: int):
    meeting = meeting_or_404(meeting_id)
    require(access.is_staff(current_user), "the secretariat sets a meeting's reminders")
    form = MeetingRemindersForm()
    if request.method == "GET":
        form.enabled.data = meeting.reminders_enabled
        form.days.data = meeting.reminder_days or ""
    return act(
        form, lambda: rules.set_meeting_reminders(meeting, actor=current_user, enabled=form.enabled.data, days=form.days.data or ""),
        success=_("この会議のお知らせの設定を保存しました。"), to=url_for(".meeting_reminders", meeting_id=meeting.id),
        fields={"enabled": "days"}, fallback_field="days", page=lambda: _meeting_reminders_page(meeting, form),
    )


def _meeting_reminders_page(meeting: Meeting, form):
    pending = db.session.scalars(
        select(Notification.due_at)
        .where(Notification.object_type == Meeting.__tablename__, Notification.object_id == meeting.id,
               Notification.kind == NotificationKind.MEETING_REMINDER,
               Notification.state == NotificationState.PENDING)
        .distinct().order_by(Notification.due_at)
    ).all()
    return render_template(
        "notifications/meeting_reminders.html", meeting=meeting, form=form, label=meeting_name(meeting),
        pending=pending,
    )
