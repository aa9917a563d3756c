"""WTForms classes, one module per area, all built on the FlaskForm below.

Every form of the app gets the input rules of liaison.forms.guards by field type: single-line text
is one line without control characters or bidi overrides, multi-line text has no control
characters, dates are in 1900–2200, integers fit the database. A form module imports FlaskForm
from here, never from flask_wtf.
"""
from __future__ import annotations

import flask_wtf
from wtforms import DateField, DateTimeField, DateTimeLocalField, IntegerField, PasswordField, StringField, TextAreaField
from wtforms.fields import HiddenField

from .guards import IntegerBounds, PlainText, SaneDate, SingleLine, strip_bidi


def _guards_for(field) -> tuple[tuple, list]:
    """(extra filters, extra validators) for a bound field, by its type."""
    if isinstance(field, (DateField, DateTimeField, DateTimeLocalField)):
        return (), [SaneDate()]
    if isinstance(field, IntegerField):
        return (), [IntegerBounds()]
    if isinstance(field, TextAreaField):
        return (), [PlainText()]
    if isinstance(field, (PasswordField, HiddenField)):
        return (), []
    if isinstance(field, StringField):
        return (strip_bidi,), [SingleLine()]
    return (), []


class FlaskForm(flask_wtf.FlaskForm):
    class Meta(flask_wtf.FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            filters, validators = _guards_for(field)
            if filters:
                field.filters = (*filters, *field.filters)
            if validators:
                # First, so that a StopValidation answers before a parser or a domain rule sees the value;
                # an empty optional field passes them (nothing to check).
                field.validators = [*validators, *field.validators]
            return field
