"""Accounts: create_user with a password (checked) or an already hashed one (the demo seed's shortcut)."""
import pytest
from sqlalchemy import select

from liaison.domain import DomainError
from liaison.domain import users as rules
from liaison.extensions import db
from liaison.models import User
from liaison.models.users import hash_password


def test_a_password_is_checked_against_the_rules_and_hashed(ctx):
    with pytest.raises(DomainError) as refused:
        rules.create_user(actor=None, email="short@example.jp", name="短い パスワード", password="short")
    assert refused.value.field == "password"
    assert db.session.scalar(select(User).where(User.email == "short@example.jp")) is None

    user = rules.create_user(actor=None, email="Chief@Example.jp", name="課長 太郎", password="long-enough-1")
    assert user.password_hash != "long-enough-1" and user.check_password("long-enough-1")
    assert rules.authenticate("chief@example.jp", "long-enough-1") is user


def test_a_given_hash_is_stored_as_it_is_and_shared(ctx):
    shared = hash_password("liaison-demo")
    first = rules.create_user(actor=None, email="one@example.jp", name="一 太郎", password_hash=shared)
    second = rules.create_user(actor=None, email="two@example.jp", name="二 花子", password_hash=shared)
    assert first.password_hash == second.password_hash == shared
    assert rules.authenticate("two@example.jp", "liaison-demo") is second
    with pytest.raises(rules.LoginRefused):
        rules.authenticate("one@example.jp", "wrong-password")


@pytest.mark.parametrize("given", [{}, {"password": "long-enough-1", "password_hash": "x"}])
def test_exactly_one_of_password_and_hash(ctx, given):
    with pytest.raises(ValueError):
        rules.create_user(actor=None, email="none@example.jp", name="名前", **given)
