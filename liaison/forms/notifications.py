"""Notification forms: a user's preferences, reminder settings of committees and meetings."""
from flask_babel import lazy_gettext as _l
from . import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..models import NotificationKind

KIND_LABELS = {
    NotificationKind.CONVOCATION: _l("招集通知"),
    NotificationKind.MEETING_CHANGED: _l("会議の変更"),
    NotificationKind.MEETING_CANCELLED: _l("会議の中止"),
    NotificationKind.MEETING_REMINDER: _l("開催前のお知らせ"),
    NotificationKind.ATTENDANCE_DEADLINE: _l("出欠回答期限のお知らせ"),
    NotificationKind.PROPOSAL_DEADLINE: _l("提案締切のお知らせ"),
    NotificationKind.PROPOSAL_RETURNED: _l("提案の差戻し"),
    NotificationKind.PROPOSAL_ACCEPTED: _l("提案の受理"),
    NotificationKind.PROPOSAL_SCHEDULED: _l("提案の議事掲載"),
    NotificationKind.VOTE_DEADLINE: _l("書面表決の締切のお知らせ"),
    NotificationKind.VOTE_RESULT: _l("表決の結果"),
    NotificationKind.MINUTES_REVIEW: _l("議事録の確認依頼"),
    NotificationKind.MINUTES_REVIEW_DEADLINE: _l("議事録の確認期限のお知らせ"),
    NotificationKind.MINUTES_PUBLISHED: _l("議事録の公開"),
}


class PreferencesForm(FlaskForm):
    daily_digest = BooleanField(_l("メールは1日分をまとめて毎朝8時に1通で受け取る"))

    def kind_fields(self):
        return [(kind, self[f"email_{kind.value}"]) for kind in KIND_LABELS]


for _kind, _label in KIND_LABELS.items():
    setattr(PreferencesForm, f"email_{_kind.value}", BooleanField(_label))


class CommitteeRemindersForm(FlaskForm):
    days = StringField(_l("開催の何日前"), validators=[Optional(), Length(max=40)])
    at = StringField(_l("送信時刻"), validators=[InputRequired(_l("入力してください。")), Length(max=5)])
    answer_days = IntegerField(
        _l("出欠回答期限の何日前"),
        validators=[InputRequired(_l("入力してください。")), NumberRange(0, 30, _l("回答期限の何日前かは0〜30で入力してください。"))],
    )
    proposal_days = IntegerField(
        _l("提案締切の何日前"),
        validators=[InputRequired(_l("入力してください。")), NumberRange(0, 30, _l("提案締切の何日前かは0〜30で入力してください。"))],
    )
    vote_days = StringField(_l("書面表決の締切の何日前"), validators=[Optional(), Length(max=40)])
    review_days = IntegerField(
        _l("議事録の確認期限の何日前"),
        validators=[InputRequired(_l("入力してください。")), NumberRange(0, 30, _l("確認期限の何日前かは0〜30で入力してください。"))],
    )


class MeetingRemindersForm(FlaskForm):
    enabled = BooleanField(_l("この会議の開催前のお知らせを送る"))
    days = StringField(_l("開催の何日前(空欄なら会議体の既定)"), validators=[Optional(), Length(max=40)])
