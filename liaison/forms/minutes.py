"""Minutes forms: the secretariat's text per section, review deadline, members' comments."""
from flask_babel import lazy_gettext as _l
from . import FlaskForm
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def field_name(section_key: str) -> str:
    """The form field of a section ("item-12" → "text_item_12")."""
    return "text_" + section_key.replace("-", "_")


class MinutesTextForm(FlaskForm):
    """Built per version: one Markdown text area per section (see text_form)."""

    reason = StringField(_l("この版を作る理由(承認後の修正では必須)"), validators=[Optional(), Length(max=1000)])


def text_form(sections: list[tuple[str, str]], **kwargs) -> MinutesTextForm:
    """A MinutesTextForm with a text area for each (section key, label)."""

    class Form(MinutesTextForm):
        pass

    for key, label in sections:
        setattr(Form, field_name(key), TextAreaField(label, validators=[Optional()]))
    return Form(**kwargs)


class ReviewForm(FlaskForm):
    deadline = DateTimeLocalField(_l("確認の期限"), format=DATETIME_LOCAL, validators=[Optional()])


class CommentForm(FlaskForm):
    agenda_item_id = SelectField(_l("対象"), coerce=int, default=0)
    text = TextAreaField(_l("意見"), validators=[Optional(), Length(max=4000)])
