"""Notification forms: a user's preferences, reminder settings of committees and meetings."""
from flask_babel import lazy_gettext as _l
from . import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..labels import lazy
from ..models import NotificationKind

# The kinds a user may turn off (the daily digest is a choice of its own).
PREFERENCE_KINDS = [kind for kind in NotificationKind if kind is not NotificationKind.DIGEST]


class PreferencesForm(FlaskForm):
    daily_digest = BooleanField(_l("メールは1日分をまとめて毎朝8時に1通で受け取る"))

    def kind_fields(self):
        return [(kind, self[f"email_{kind.value}"]) for kind in PREFERENCE_KINDS]


for _kind in PREFERENCE_KINDS:
    setattr(PreferencesForm, f"email_{_kind.value}", BooleanField(lazy(_kind)))


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
