"""The meetings blueprint (/<slug>/meetings/): the Blueprint object, the meeting page, and the helpers its route
modules share (blueprints/meetings.py, meeting_agenda.py, meeting_attendance.py register their views on `bp`)."""
from __future__ import annotations

from datetime import datetime

from flask import current_app, flash, g, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..dates import TOKYO
from ..domain import attachments as files
from ..domain import materials
from ..domain import meetings as rules
from ..forms.meetings import ActionForm, AttachmentForm, AttendanceForm, MeetingForm
from ..domain.meeting_attendance import SeatLine
from ..extensions import db
from ..labels import response_label
from ..models import Attendance, AttendanceResponse, Meeting, MeetingFormat, MeetingStatus, Membership
from ..pages import slots
from .handling import act
from .scoping import committee_blueprint

bp = committee_blueprint("meetings", __name__, "/meetings")

bp.add_app_template_global(files.size_label, "size_label")
bp.add_app_template_global(rules.can_manage, "can_manage_meetings")

# Domain fields that a form shows under another name.
FORM_FIELD = {"starts_at": "start_time", "ends_at": "end_time"}


# ------------------------------------------------------------------------------------------- helpers

def _unless_allowed(meeting: Meeting, allowed_states, message: str):
    """A form for a step the meeting's state does not allow: back to the meeting page, saying why."""
    if meeting.status in allowed_states:
        return None
    flash(message, "error")
    return _redirect_to(meeting)


def _warn_day_off(meeting: Meeting) -> None:
    warning = rules.day_off_warning(meeting.starts_at)
    if warning:
        flash(warning, "warning")


def _at(day, time) -> datetime | None:
    return datetime.combine(day, time, tzinfo=TOKYO) if day and time else None


def _local(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=TOKYO) if value else None


def _schedule(form: MeetingForm) -> dict:
    return dict(
        starts_at=_at(form.day.data, form.start_time.data), ends_at=_at(form.day.data, form.end_time.data),
        format=MeetingFormat(form.format.data), place=form.place.data or "", online_url=form.online_url.data or "",
        title=form.title.data or "", answer_deadline=_local(form.answer_deadline.data),
        proposal_deadline=_local(form.proposal_deadline.data), notes=form.notes.data or "",
    )


def _redirect_to(meeting: Meeting, anchor: str | None = None):
    return redirect(url_for("meetings.show", meeting_id=meeting.id, _anchor=anchor), 303)


# ---------------------------------------------------------------------------------------------- show

def _page_data(meeting: Meeting) -> dict:
    """Everything the meeting page shows, in a fixed number of queries."""
    agenda = rules.agenda_rows(meeting)  # columns, not the items' ORM graph (issue 22)
    documents = rules.meeting_attachments(meeting)
    numbers = materials.numbers_of(agenda, documents)
    by_item: dict = {}
    for document in sorted(documents, key=lambda d: materials.sort_key(numbers[d.id])):
        by_item.setdefault(document.agenda_item_id, []).append(document)
    sheet = rules.attendance_sheet_rows(meeting)  # columns, not the seats' ORM graph (issue 22)
    my_seat = next((line.membership for line in sheet.lines if line.membership.user_id == current_user.id), None)
    return dict(
        meeting=meeting, committee=g.committee, agenda=agenda, documents_by_item=by_item, sheet=sheet,
        material_labels={key: materials.label_of(number) for key, number in numbers.items()},
        my_seat=my_seat, my_line=sheet.line_for(my_seat),
        can_manage=rules.can_manage(current_user),
        can_answer=my_seat is not None and rules.can_answer_for(current_user, meeting, my_seat),
        deadline=rules.answer_deadline_of(meeting), editable=meeting.status in rules.EDITABLE,
        attachable=meeting.status in rules.ATTACHABLE,
        announced=meeting.status in rules.ANNOUNCED, action_form=ActionForm(formdata=None),
        in_session=meeting.status is MeetingStatus.IN_SESSION,
        answer_labels={answer: response_label(answer) for answer in (None, *AttendanceResponse)},  # once per page
    )


def _answer_form(line) -> AttendanceForm:
    """The attendance form, showing the seat's current answer."""
    form = AttendanceForm(formdata=None)
    if line is not None and line.answered:
        form.response.data = line.attendance.response.value
        form.proxy_name.data = line.attendance.proxy_name
        form.proxy_title.data = line.attendance.proxy_title
    return form


@slots.filler("meeting_mine")
def _mine(meeting_id: int, part: str) -> str:
    """The viewer's own part of a shared meeting page (templates/meetings/_mine.html): their voting seat of the
    meeting's year and its answer, with the meeting in one query, kept for the request (the page has two parts)."""
    kept = g.setdefault("_liaison_meeting_mine", {})
    if meeting_id not in kept:
        rows = db.session.execute(
            select(Meeting, Membership, Attendance)
            .outerjoin(Membership, (Membership.user_id == current_user.id) & Membership.ended_at.is_(None)
                       & (Membership.committee_id == Meeting.committee_id) & (Membership.fiscal_year == Meeting.fiscal_year))
            .outerjoin(Attendance, (Attendance.meeting_id == Meeting.id) & (Attendance.membership_id == Membership.id))
            .options(joinedload(Membership.body)).where(Meeting.id == meeting_id)).all()
        meeting = rows[0][0]
        seat, answer = next(((seat, answer) for _, seat, answer in rows if seat is not None and seat.has_vote), (None, None))
        line = None if seat is None else SeatLine(seat, answer)
        kept[meeting_id] = dict(
            meeting=meeting, my_seat=seat, my_line=line, attendance_form=_answer_form(line),
            can_answer=seat is not None and rules.can_answer_for(current_user, meeting, seat),
            deadline=rules.answer_deadline_of(meeting))
    return render_template("meetings/_mine.html", part=part, **kept[meeting_id])


def _show(meeting: Meeting, attendance_form=None, attachment_form=None):
    data = _page_data(meeting)
    if attendance_form is None:
        attendance_form = _answer_form(data["my_line"])
    if attachment_form is None:
        attachment_form = AttachmentForm(formdata=None)
    attachment_form.agenda_item_id.choices = [SelectChoice(0, _("会議全体"))] + [
        SelectChoice(item.id, f"{item.position}. {item.title}") for item in data["agenda"]
    ]
    return render_template(
        "meetings/show.html", attendance_form=attendance_form, attachment_form=attachment_form,
        accept=files.ACCEPT, max_mb=current_app.config["MAX_UPLOAD_MB"], **data,
    )


def _button(meeting: Meeting, change, success, to=None):
    """One button's POST on a meeting; a refusal shows the meeting page again (400)."""
    return act(ActionForm(), change, success=success, to=to or (lambda _result: _redirect_to(meeting)),
               page=lambda: _show(meeting))
