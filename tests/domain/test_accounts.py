"""Invitation, password-reset and e-mail links: single use, expiry, invalidation, and the mail via the outbox."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from liaison.dates import utcnow
from liaison.domain import DomainError, accounts
from liaison.extensions import db
from liaison.models import AccountToken, Notification, NotificationKind, NotificationState, TokenPurpose, User
from liaison.notify import preparing, sender

from ..conftest import PASSWORD
from ..notify_support import mailbox, smtp_config  # noqa: F401  (fixtures)

LINK = re.compile(r"http://liaison\.test(/(?:password/set|account/email)/(\d+-[A-Za-z0-9_-]+))")


def _link_in(message) -> tuple[str, str]:
    match = LINK.search(message.get_body(("plain",)).get_content())
    assert match, "no link in the mail"
    return match.group(1), match.group(2)


def test_an_invitation_goes_out_by_mail_with_a_working_link_and_no_secret_in_the_database(ctx, factory, mailbox):
    admin = factory.admin()
    user = accounts.create_invited_user(actor=admin, email="Successor@Example.jp", name="後任 課長")
    db.session.commit()
    assert not user.check_password("")  # nobody knows the password yet

    result = sender.run_pass()
    assert result.count(sender.Outcome.SENT) == 1
    [message] = mailbox.messages
    assert message["To"].addresses[0].addr_spec == "successor@example.jp"
    assert message["Subject"] == "【アカウントのご案内】人づくり広域連合 会議システム"
    _path, secret = _link_in(message)
    # Neither the outbox row nor the token row holds the link's secret.
    mac = secret.split("-", 1)[1]
    row = db.session.scalar(select(Notification).where(Notification.kind == NotificationKind.ACCOUNT_INVITATION))
    assert mac not in row.body and mac not in row.link
    token = db.session.get(AccountToken, int(secret.split("-")[0]))
    assert mac not in (token.nonce, token.password_fingerprint)

    assert accounts.resolve(secret, (TokenPurpose.INVITATION,)).id == token.id
    accounts.set_password(token, "a-new-long-password")
    db.session.commit()
    assert db.session.get(User, user.id).check_password("a-new-long-password")


def test_a_link_works_once(ctx, factory):
    user = factory.user()
    token = accounts.request_password_reset(user.email)
    db.session.commit()
    secret = accounts.link_secret(token)
    accounts.set_password(accounts.resolve(secret, (TokenPurpose.PASSWORD_RESET,)), "first-long-password")
    db.session.commit()
    with pytest.raises(accounts.LinkRefused) as refused:
        accounts.resolve(secret, (TokenPurpose.PASSWORD_RESET,))
    assert refused.value.problem is accounts.LinkProblem.USED
    # Even a request that resolved the token before the first one used it cannot use it a second time.
    with pytest.raises(accounts.LinkRefused):
        accounts.set_password(token, "second-long-password")
    db.session.rollback()
    assert db.session.get(User, user.id).check_password("first-long-password")


def test_a_link_expires(ctx, factory):
    user = factory.user()
    issued = utcnow() - timedelta(hours=3)
    token = accounts.issue(user, TokenPurpose.PASSWORD_RESET, actor=None, now=issued)
    db.session.commit()
    assert accounts.resolve(accounts.link_secret(token), (TokenPurpose.PASSWORD_RESET,),
                            now=issued + timedelta(hours=1, minutes=59)).id == token.id
    with pytest.raises(accounts.LinkRefused) as refused:
        accounts.resolve(accounts.link_secret(token), (TokenPurpose.PASSWORD_RESET,))
    assert refused.value.problem is accounts.LinkProblem.EXPIRED


def test_a_newer_link_or_a_password_change_invalidates_the_older_link(ctx, factory):
    user = factory.user()
    first = accounts.request_password_reset(user.email)
    second = accounts.request_password_reset(user.email)
    db.session.commit()
    with pytest.raises(accounts.LinkRefused) as refused:
        accounts.resolve(accounts.link_secret(first), (TokenPurpose.PASSWORD_RESET,))
    assert refused.value.problem is accounts.LinkProblem.SUPERSEDED
    # Only the newer link's mail is still waiting to go out.
    states = dict(db.session.execute(select(Notification.object_id, Notification.state)).all())
    assert states == {first.id: NotificationState.VOID, second.id: NotificationState.PENDING}

    from liaison.domain import users as user_rules
    user_rules.change_own_password(db.session.get(User, user.id), PASSWORD, "changed-long-password")
    db.session.commit()
    with pytest.raises(accounts.LinkRefused) as refused:
        accounts.resolve(accounts.link_secret(second), (TokenPurpose.PASSWORD_RESET,))
    assert refused.value.problem is accounts.LinkProblem.SUPERSEDED
    assert preparing.void_reason(db.session.scalar(select(Notification).where(Notification.object_id == second.id)),
                              utcnow()) == "link superseded"


def test_a_forged_or_other_purpose_link_is_refused(ctx, factory):
    user = factory.user()
    token = accounts.request_password_reset(user.email)
    db.session.commit()
    secret = accounts.link_secret(token)
    for bad in (f"{token.id}-{'A' * 32}", "x-y", "", f"{token.id + 1}-{secret.split('-', 1)[1]}"):
        with pytest.raises(accounts.LinkRefused) as refused:
            accounts.resolve(bad, (TokenPurpose.PASSWORD_RESET,))
        assert refused.value.problem is accounts.LinkProblem.INVALID
    with pytest.raises(accounts.LinkRefused):
        accounts.resolve(secret, (TokenPurpose.EMAIL_CHANGE,))


def test_an_unknown_or_inactive_address_gets_no_mail(ctx, factory, app):
    inactive = factory.user()
    db.session.get(User, inactive.id).active = False
    db.session.commit()
    assert accounts.request_password_reset("nobody@example.jp") is None
    assert accounts.request_password_reset(inactive.email) is None
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_a_short_password_is_refused_and_the_link_stays_usable(ctx, factory):
    user = factory.user()
    token = accounts.request_password_reset(user.email)
    db.session.commit()
    with pytest.raises(DomainError):
        accounts.set_password(token, "short")
    db.session.rollback()
    assert accounts.resolve(accounts.link_secret(token), (TokenPurpose.PASSWORD_RESET,)).used_at is None


def test_a_new_email_takes_effect_only_when_confirmed_from_the_new_mailbox(ctx, factory, mailbox):
    user = factory.user(email="old@example.jp")
    token = accounts.request_email_change(db.session.get(User, user.id), "New@Example.jp")
    db.session.commit()
    assert db.session.get(User, user.id).email == "old@example.jp"
    sender.run_pass()
    [message] = mailbox.messages
    assert mailbox.recipients() == ["new@example.jp"]
    _path, secret = _link_in(message)
    accounts.confirm_email(accounts.resolve(secret, (TokenPurpose.EMAIL_CHANGE,)))
    db.session.commit()
    assert db.session.get(User, user.id).email == "new@example.jp"
    assert token.used_at is not None
