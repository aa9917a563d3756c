"""Administration forms: users, memberships, handover, audit filter."""
from flask_babel import lazy_gettext as _l
from . import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

REQUIRED = _l("入力してください。")


class UserForm(FlaskForm):
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(REQUIRED), Email(message=_l("メールアドレスの形式が正しくありません。"), check_deliverability=False), Length(max=254)])
    name = StringField(_l("氏名"), validators=[DataRequired(REQUIRED), Length(max=100)])
    title = StringField(_l("役職"), validators=[Optional(), Length(max=100)])
    body_id = SelectField(_l("構成団体"), coerce=int, validators=[Optional()])
    department = StringField(_l("部局"), validators=[Optional(), Length(max=60)])
    is_secretariat = BooleanField(_l("事務局"))
    is_admin = BooleanField(_l("システム管理者"))


class NewUserForm(UserForm):
    """No password: the new account's holder chooses one from the invitation mail."""


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("新しいパスワード"), validators=[DataRequired(REQUIRED), Length(min=10, max=200, message=_l("パスワードは10文字以上にしてください。"))])


class ActiveForm(FlaskForm):
    active = BooleanField()


class AppointForm(FlaskForm):
    user_id = SelectField(_l("委員"), coerce=int, validators=[DataRequired(REQUIRED)])
    body_id = SelectField(_l("構成団体"), coerce=int, validators=[DataRequired(REQUIRED)])
    department = StringField(_l("部局"), validators=[Optional(), Length(max=60)])
    role = SelectField(_l("役割"), validators=[DataRequired(REQUIRED)])


class PublicSettingsForm(FlaskForm):
    """情報公開: whether a committee's published minutes are on /public/, and how names are masked."""

    public = BooleanField(_l("公開ページに議事録と議決結果を掲載する"))
    mask_names = BooleanField(_l("氏名を伏せる(「さいたま市委員」のように表示)"))
    keep_officers = BooleanField(_l("議長・部会長と事務局の氏名は表示する"))


class RoleForm(FlaskForm):
    role = SelectField(_l("役割"), validators=[DataRequired(REQUIRED)])


class EmptyForm(FlaskForm):
    """A POST with only the CSRF token."""


class HandoverForm(FlaskForm):
    from_year = IntegerField(_l("引継元の年度"), validators=[DataRequired(REQUIRED), NumberRange(min=2000, max=2100)])
