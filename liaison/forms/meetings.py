"""Meeting forms: schedule, postpone, cancel, agenda items, 資料 upload, attendance."""
from flask_babel import lazy_gettext as _l
from . import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectMultipleField, DateTimeLocalField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..labels import choices
from ..models import AgendaKind, AttendanceResponse, MeetingFormat

REQUIRED = _l("入力してください。")
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"

FORMAT_CHOICES = choices(MeetingFormat)
KIND_CHOICES = choices(AgendaKind)
RESPONSE_CHOICES = choices(AttendanceResponse)


class MeetingForm(FlaskForm):
    day = DateField(_l("開催日"), validators=[DataRequired(_l("開催日を入力してください。"))])
    start_time = TimeField(_l("開始時刻"), validators=[DataRequired(_l("開始時刻を入力してください。"))])
    end_time = TimeField(_l("終了時刻"), validators=[DataRequired(_l("終了時刻を入力してください。"))])
    format = SelectField(_l("開催方法"), choices=FORMAT_CHOICES, default=MeetingFormat.IN_PERSON.value)
    place = StringField(_l("会場"), validators=[Optional(), Length(max=200)])
    online_url = StringField(_l("オンライン会議のURL"), validators=[Optional(), Length(max=500)])
    title = StringField(_l("件名(任意)"), validators=[Optional(), Length(max=200)])
    answer_deadline = DateTimeLocalField(_l("出欠の回答期限"), format=DATETIME_LOCAL, validators=[Optional()])
    proposal_deadline = DateTimeLocalField(_l("提案の締切"), format=DATETIME_LOCAL, validators=[Optional()])
    notes = TextAreaField(_l("備考(招集通知の「その他」に載ります)"), validators=[Optional(), Length(max=2000)])


class PostponeForm(FlaskForm):
    day = DateField(_l("新しい開催日"), validators=[DataRequired(_l("開催日を入力してください。"))])
    start_time = TimeField(_l("開始時刻"), validators=[DataRequired(_l("開始時刻を入力してください。"))])
    end_time = TimeField(_l("終了時刻"), validators=[DataRequired(_l("終了時刻を入力してください。"))])
    answer_deadline = DateTimeLocalField(_l("新しい出欠の回答期限(変更する場合)"), format=DATETIME_LOCAL, validators=[Optional()])
    reason = TextAreaField(_l("延期の理由"), validators=[Optional(), Length(max=1000)])


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("中止の理由"), validators=[Optional(), Length(max=1000)])


class AgendaItemForm(FlaskForm):
    kind = SelectField(_l("種類"), choices=KIND_CHOICES)
    title = StringField(_l("件名"), validators=[Optional(), Length(max=200)])
    presenter_body_id = SelectField(_l("説明者"), coerce=int, validators=[Optional()])
    minutes_allotted = IntegerField(
        _l("所要時間(分)"),
        validators=[Optional(), NumberRange(min=1, max=600, message=_l("所要時間は1〜600分で入力してください。"))],
    )
    notes = TextAreaField(_l("備考"), validators=[Optional(), Length(max=2000)])


class AttachmentForm(FlaskForm):
    file = FileField(_l("資料ファイル"))
    agenda_item_id = SelectField(_l("添付先"), coerce=int, validators=[Optional()])


class AttendanceForm(FlaskForm):
    response = RadioField(_l("出欠"), choices=RESPONSE_CHOICES, validators=[DataRequired(_l("出欠を選んでください。"))])
    proxy_name = StringField(_l("代理出席者の氏名"), validators=[Optional(), Length(max=100)])
    proxy_title = StringField(_l("代理出席者の職名"), validators=[Optional(), Length(max=100)])
    membership_id = HiddenField()


class ActionForm(FlaskForm):
    """A POST with only the CSRF token (convene, mark held, delete, move, presence)."""


class DocumentPrefixForm(FlaskForm):
    """The administrator's 文書番号 prefix of a committee (「彩人広連第」)."""

    prefix = StringField(_l("文書番号の記号"), validators=[Optional(), Length(max=40)])
    minutes_signers = BooleanField(_l("議事録署名人を置く"))
    signer_members = IntegerField(_l("議長のほかの署名人(人数)"), default=2,
                                  validators=[Optional(), NumberRange(min=0, max=5, message=_l("0から5までの数を入力してください。"))])
    signers_before_approval = BooleanField(_l("署名人全員の確認後に承認する"))


class SignersForm(FlaskForm):
    """The secretariat names the 議事録署名人 of a meeting (members besides the chair)."""

    members = SelectMultipleField(_l("署名人"), coerce=int, choices=[])
