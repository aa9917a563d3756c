"""Proposal forms: the text, the secretariat's return and scheduling, comments."""
from flask_babel import lazy_gettext as _l
from . import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..labels import choices
from ..models import AgendaKind

REQUIRED = _l("入力してください。")


class ProposalForm(FlaskForm):
    title = StringField(_l("件名"), validators=[DataRequired(REQUIRED), Length(max=200)])
    plan_policy_id = SelectField(_l("第6次広域計画の施策"), coerce=int, validators=[DataRequired(_l("施策を選んでください。"))])
    desired_meeting_id = SelectField(_l("審議を希望する会議"), coerce=int, validators=[Optional()])
    summary = TextAreaField(_l("概要"), validators=[Optional(), Length(max=50_000)])
    body = TextAreaField(_l("本文"), validators=[Optional(), Length(max=50_000)])


class ReturnForm(FlaskForm):
    reason = TextAreaField(_l("差戻しの理由"), validators=[DataRequired(_l("差戻しの理由を入力してください。")), Length(max=5000)])


class WithdrawForm(FlaskForm):
    reason = StringField(_l("取下げの理由(任意)"), validators=[Optional(), Length(max=500)])


class ScheduleForm(FlaskForm):
    meeting_id = SelectField(_l("会議"), coerce=int, validators=[DataRequired(_l("会議を選んでください。"))])
    kind = SelectField(
        _l("議事の種類"), validators=[DataRequired(REQUIRED)],
        # A proposal is usually put to a decision: 議決事項 first.
        choices=choices(AgendaKind, order=(AgendaKind.RESOLUTION, AgendaKind.DISCUSSION, AgendaKind.REPORT)),
    )


class AttachmentForm(FlaskForm):
    file = FileField(_l("資料ファイル"))


class CommentForm(FlaskForm):
    text = TextAreaField(_l("コメント"), validators=[DataRequired(_l("コメントを入力してください。")), Length(max=5000)])


class ActionForm(FlaskForm):
    """A POST with only the CSRF token (submit, accept, delete)."""
