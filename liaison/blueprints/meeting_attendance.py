"""The meeting's attendance (/<slug>/meetings/<id>/attendance, …/presence, …/check-in): 出欠 and 出席確認."""
from __future__ import annotations

from flask import abort, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..domain import require
from ..domain import meetings as rules
from ..labels import response_label
from ..forms.meetings import ActionForm, AttendanceForm
from ..models import AttendanceResponse, Meeting, Membership
from .handling import act
from .loading import get_or_404, meeting_or_404
from .meeting_page import _button, _redirect_to, _show, bp


@bp.post("/<int:meeting_id>/check-in")
def check_in(meeting_id):
    """出席確認: a member checks in their own seat during the sitting."""
    meeting = meeting_or_404(meeting_id)
    seat = next((m for m in rules.voting_seats(meeting) if m.user_id == current_user.id), None)
    require(seat is not None, "only the meeting's seats check in")
    return _button(meeting, lambda: rules.check_in(meeting, seat, actor=current_user), _("出席を確認しました。"))



# ----------------------------------------------------------------------------------------- attendance

def _answer(meeting: Meeting, membership: Membership, form: AttendanceForm) -> None:
    rules.answer_attendance(
        meeting, membership, actor=current_user, response=AttendanceResponse(form.response.data),
        proxy_name=form.proxy_name.data or "", proxy_title=form.proxy_title.data or "",
    )


def _answered(form: AttendanceForm) -> str:
    return _("出欠を「%(answer)s」で回答しました。", answer=response_label(AttendanceResponse(form.response.data)))


@bp.post("/<int:meeting_id>/attendance")
def answer(meeting_id):
    """A member answers for their own seat."""
    meeting = meeting_or_404(meeting_id)
    form = AttendanceForm()
    seat = next((m for m in rules.voting_seats(meeting) if m.user_id == current_user.id), None)
    require(seat is not None, "only seat holders answer attendance")
    return act(
        form, lambda: _answer(meeting, seat, form), success=lambda _result: _answered(form),
        to=lambda _result: _redirect_to(meeting, "attendance"), page=lambda: _show(meeting, attendance_form=form),
    )


@bp.get("/<int:meeting_id>/attendance")
def attendance(meeting_id):
    """The secretariat's sheet: answer for any seat (e.g. by phone) and record who was present."""
    meeting = meeting_or_404(meeting_id)
    require(rules.can_manage(current_user), "only the secretariat manages attendance")
    return _attendance_page(meeting)


def _attendance_page(meeting: Meeting, failed_form=None, failed_seat: int | None = None):
    sheet = rules.attendance_sheet(meeting)
    forms = {}
    for line in sheet.lines:
        if failed_form is not None and line.membership.id == failed_seat:
            forms[line.membership.id] = failed_form
            continue
        form = AttendanceForm(formdata=None)
        if line.answered:
            form.response.data = line.attendance.response.value
            form.proxy_name.data, form.proxy_title.data = line.attendance.proxy_name, line.attendance.proxy_title
        forms[line.membership.id] = form
    return render_template(
        "meetings/attendance.html", meeting=meeting, committee=g.committee, sheet=sheet, forms=forms,
        action_form=ActionForm(formdata=None), open_for_answers=meeting.status in rules.PRESENCE_STATUSES,  # in session too (出席の記録)
    )


@bp.post("/<int:meeting_id>/attendance/<int:membership_id>")
def answer_for_seat(meeting_id, membership_id):
    meeting = meeting_or_404(meeting_id)
    require(rules.can_manage(current_user), "only the secretariat answers for a seat")
    membership = get_or_404(Membership, membership_id)
    form = AttendanceForm()
    return act(
        form, lambda: _answer(meeting, membership, form),
        success=_("%(seat)sの出欠を記録しました。", seat=membership.seat_label),
        to=url_for("meetings.attendance", meeting_id=meeting.id, _anchor=f"seat-{membership_id}"),
        page=lambda: _attendance_page(meeting, form, membership_id),
    )


def _present_ids() -> list[int]:
    try:
        return [int(value) for value in request.form.getlist("present")]
    except ValueError:
        abort(400)


@bp.post("/<int:meeting_id>/presence")
def record_presence(meeting_id):
    meeting = meeting_or_404(meeting_id)
    require(rules.can_manage(current_user), "only the secretariat records presence")
    return act(
        ActionForm(), lambda: rules.record_presence(meeting, actor=current_user, present_membership_ids=_present_ids()),
        success=lambda count: _("出席者を記録しました(%(n)d名)。", n=count),
        to=url_for("meetings.attendance", meeting_id=meeting.id), page=lambda: _attendance_page(meeting),
    )
