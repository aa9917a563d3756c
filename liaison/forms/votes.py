"""Forms of the votes area: opening a vote, a ballot, the casting vote, cancelling, the quorum rule."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from . import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, HiddenField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..dates import TOKYO
from ..labels import choices
from ..models import Majority, VoteMethod

REQUIRED = _l("入力してください。")
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def tokyo_to_utc(value: datetime | None) -> datetime | None:
    """A datetime-local input is Tokyo wall-clock time; store it aware."""
    return None if value is None else value.replace(tzinfo=TOKYO)


class OpenVoteForm(FlaskForm):
    method = SelectField(_l("表決の方法"), choices=choices(VoteMethod), validators=[DataRequired(REQUIRED)])
    majority = SelectField(_l("必要な賛成数"), choices=choices(Majority), validators=[DataRequired(REQUIRED)])
    abstentions_in_base = BooleanField(_l("棄権を母数に含める(棄権は賛成でない票として数える)"))
    secret = BooleanField(_l("無記名(誰がどう投票したかを表示・出力しない)"))
    opens_at = DateTimeLocalField(_l("受付開始(書面表決)"), format=DATETIME_FORMAT, validators=[Optional()])
    closes_at = DateTimeLocalField(_l("締切(書面表決)"), format=DATETIME_FORMAT, validators=[Optional()])


class BallotForm(FlaskForm):
    choice = RadioField(_l("表決"), validators=[InputRequired(_l("賛成・反対・棄権のいずれかを選んでください。"))])
    confirmed = HiddenField()


class CastingVoteForm(FlaskForm):
    choice = RadioField(_l("議長裁決"), validators=[InputRequired(_l("可とするか否とするかを選んでください。"))])


class CancelVoteForm(FlaskForm):
    reason = TextAreaField(_l("取消の理由"), validators=[DataRequired(REQUIRED), Length(max=1000)])


class QuorumForm(FlaskForm):
    numerator = IntegerField(_l("分子"), validators=[InputRequired(REQUIRED), NumberRange(min=1, max=100)])
    denominator = IntegerField(_l("分母"), validators=[InputRequired(REQUIRED), NumberRange(min=1, max=100)])
    at_least = BooleanField(_l("「以上」とする(チェックなし: 「を超える」)"))


class ConfirmForm(FlaskForm):
    """A POST with only the CSRF token (close, defer, note, record)."""


class ChairRuleForm(FlaskForm):
    """The chair's role in a vote (committees.chair_votes): "0" the default rule, "1" the chair votes as a member."""
    chair_votes = RadioField(
        _l("議長の表決の扱い"),
        choices=[SelectChoice("0", _l("議長は表決に加わらず、可否同数のときに裁決する(地方自治法第116条の例による)")),
                 SelectChoice("1", _l("議長も委員として表決に加わり、可否同数は否決"))],
        validators=[InputRequired(_l("議長の表決の扱いを選んでください。"))],
    )
