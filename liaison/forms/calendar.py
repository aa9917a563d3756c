"""Forms of the calendar feed section on the account page."""
from flask_babel import lazy_gettext as _l
from . import FlaskForm
from wtforms import BooleanField


class FeedSettingsForm(FlaskForm):
    include_deadlines = BooleanField(_l("出欠の回答期限などの期限も予定として表示する"))


class FeedRegenerateForm(FlaskForm):
    """Only the CSRF token: regenerating needs no input."""
