"""Log-in and account forms."""
from flask_babel import lazy_gettext as _l
from . import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional


class LoginForm(FlaskForm):
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(message=_l("メールアドレスを入力してください。"))])
    password = PasswordField(_l("パスワード"), validators=[DataRequired(message=_l("パスワードを入力してください。"))])
    next = HiddenField()


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("現在のパスワード"), validators=[DataRequired(message=_l("現在のパスワードを入力してください。"))])
    password = PasswordField(
        _l("新しいパスワード"),
        validators=[DataRequired(message=_l("新しいパスワードを入力してください。")), Length(min=10, max=200, message=_l("パスワードは10文字以上にしてください。"))],
    )
    confirm = PasswordField(
        _l("新しいパスワード(確認)"),
        validators=[EqualTo("password", message=_l("確認用のパスワードが一致しません。"))],
    )


class LocaleForm(FlaskForm):
    locale = SelectField(_l("表示言語"), choices={"ja": "日本語", "en": "English"})
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(message=_l("メールアドレスを入力してください。")), Length(max=254)])


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("新しいパスワード"),
        validators=[DataRequired(message=_l("新しいパスワードを入力してください。")), Length(min=10, max=200, message=_l("パスワードは10文字以上にしてください。"))],
    )
    confirm = PasswordField(
        _l("新しいパスワード(確認)"),
        validators=[EqualTo("password", message=_l("確認用のパスワードが一致しません。"))],
    )


class ConfirmForm(FlaskForm):
    """A POST with only the CSRF token (a link is followed by a button, not by the GET a mail scanner makes)."""


class ProfileForm(FlaskForm):
    name = StringField(_l("氏名"), validators=[DataRequired(message=_l("氏名を入力してください。")), Length(max=100)])
    title = StringField(_l("役職"), validators=[Optional(), Length(max=100)])


class EmailChangeForm(FlaskForm):
    email = EmailField(_l("新しいメールアドレス"), validators=[
        DataRequired(message=_l("メールアドレスを入力してください。")), Length(max=254),
        Email(message=_l("メールアドレスの形式が正しくありません。"), check_deliverability=False)])


class ApiTokenForm(FlaskForm):
    """A new personal access token for the JSON API (/api/v1)."""

    name = StringField(_l("トークンの名前"), validators=[DataRequired(message=_l("トークンの名前を入力してください。")), Length(max=100)])
    write = BooleanField(_l("書き込みも許可する(出欠の回答、投票、議事録の確認、提案の提出)"))
    days = IntegerField(_l("有効期間(日)"), default=90, validators=[
        DataRequired(message=_l("有効期間を日数で入力してください。")),
        NumberRange(min=1, max=366, message=_l("有効期間は1日から366日までの日数で指定してください。"))])
