"""年度更新: carry-over of every committee, the 人事異動 list, idempotence, problems, chairs."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from liaison.dates import current_fiscal_year
from liaison.domain import DomainError, rollover
from liaison.extensions import db
from liaison.models import AccountToken, AuditEvent, Membership, Role, TokenPurpose, User

FY = current_fiscal_year()


@pytest.fixture()
def roster(ctx, factory):
    """This year: 川越市 and 熊谷市 on the council and 企画運営部会 (川越市 chairs the 部会), 川口市 on the council."""
    people = {
        "kawagoe": factory.member("council", body="川越市", role="chair", email="kawagoe@example.jp"),
        "kumagaya": factory.member("council", body="熊谷市", email="kumagaya@example.jp"),
        "kawaguchi": factory.member("council", body="川口市", email="kawaguchi@example.jp"),
    }
    from liaison.domain import memberships as membership_rules
    for key, body, role in (("kawagoe", "川越市", Role.CHAIR), ("kumagaya", "熊谷市", Role.MEMBER)):
        membership_rules.appoint(actor=None, committee=factory.committee("planning"), fiscal_year=FY,
                                 user=db.session.get(User, people[key].id), body=factory.body(body), role=role)
    db.session.commit()
    return people


def seats(year=FY + 1):
    return {(m.committee.slug, m.body.name): (m.user.email, m.role) for m in
            db.session.scalars(select(Membership).where(Membership.fiscal_year == year))}


def test_every_committee_is_carried_over_at_once_with_the_transfers(roster, factory):
    admin = factory.admin()
    transfers, problems = rollover.read_csv("団体,氏名,役職,メールアドレス\n川越市,後任 花子,職員課長,Successor@Example.jp\n".encode())
    assert problems == []
    preview = rollover.plan(FY + 1, transfers)
    assert preview.problems == [] and len(preview.changes) == 5
    assert {(c.committee.slug, c.seat_label, c.old_name, c.new_email) for c in preview.changes if not c.carried} == {
        ("council", "川越市", db.session.get(User, roster["kawagoe"].id).name, "successor@example.jp"),
        ("planning", "川越市", db.session.get(User, roster["kawagoe"].id).name, "successor@example.jp"),
    }
    assert seats() == {}  # the preview wrote nothing
    rollover.apply(FY + 1, transfers, actor=db.session.get(User, admin.id))
    db.session.commit()
    assert seats() == {
        ("council", "川越市"): ("successor@example.jp", Role.CHAIR),
        ("council", "熊谷市"): ("kumagaya@example.jp", Role.MEMBER),
        ("council", "川口市"): ("kawaguchi@example.jp", Role.MEMBER),
        ("planning", "川越市"): ("successor@example.jp", Role.CHAIR),
        ("planning", "熊谷市"): ("kumagaya@example.jp", Role.MEMBER),
    }
    successor = db.session.scalar(select(User).where(User.email == "successor@example.jp"))
    assert (successor.name, successor.title, successor.body.name) == ("後任 花子", "職員課長", "川越市")
    assert db.session.scalar(select(AccountToken).where(AccountToken.user_id == successor.id)).purpose is TokenPurpose.INVITATION
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "committee.handover")) == 2
    assert len(seats(FY)) == 5  # last year's records untouched


def test_running_it_twice_changes_nothing_the_second_time(roster, factory):
    admin = factory.admin()
    transfers, _ = rollover.read_csv("団体,氏名,役職,メールアドレス\n川越市,後任 花子,職員課長,successor@example.jp\n".encode())
    rollover.apply(FY + 1, transfers, actor=db.session.get(User, admin.id))
    db.session.commit()
    before = seats()
    again, _ = rollover.read_csv("団体,氏名,役職,メールアドレス\n川越市,後任 花子,職員課長,successor@example.jp\n".encode())
    second = rollover.plan(FY + 1, again)
    assert second.changes == [] and second.already == 5
    rollover.apply(FY + 1, again, actor=db.session.get(User, admin.id))
    db.session.commit()
    assert seats() == before
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "successor@example.jp")) == 1


def test_problems_are_listed_by_row_and_nothing_is_written(roster, factory):
    admin = factory.admin()
    text = ("団体,氏名,役職,メールアドレス\n"
            "存在しない市,誰か,課長,a@example.jp\n"
            "熊谷市,二重 太郎,課長,dup@example.jp\n"
            "川口市,二重 次郎,課長,dup@example.jp\n"
            "川越市,,課長,not-an-address\n")
    transfers, problems = rollover.read_csv(text.encode())
    preview = rollover.plan(FY + 1, transfers, read_problems=problems)
    assert any("2行目" in p and "存在しない市" in p for p in preview.problems)
    assert any("4行目" in p and "重複" in p for p in preview.problems)
    assert any("5行目: 氏名がありません" in p for p in preview.problems)
    assert any("5行目" in p and "メールアドレス" in p for p in preview.problems)
    with pytest.raises(DomainError):
        rollover.apply(FY + 1, transfers, actor=db.session.get(User, admin.id))
    db.session.rollback()
    assert seats() == {}


def test_a_seat_whose_holder_left_without_a_successor_is_a_problem(roster, factory):
    db.session.get(User, roster["kawaguchi"].id).active = False
    db.session.commit()
    preview = rollover.plan(FY + 1, [])
    assert any("川口市" in p and "議席が空きます" in p for p in preview.problems)
    transfers, _ = rollover.read_csv("団体,氏名,メールアドレス\n川口市,新任 課長,new-kawaguchi@example.jp\n".encode())
    assert rollover.plan(FY + 1, transfers).problems == []


def test_chairs_and_vice_chairs_are_set_in_the_same_flow(roster, factory):
    admin = factory.admin()
    council = factory.committee("council")
    chairs = {council.id: {Role.CHAIR: factory.body("熊谷市").id, Role.VICE_CHAIR: factory.body("川口市").id}}
    rollover.apply(FY + 1, [], actor=db.session.get(User, admin.id), chairs=chairs)
    db.session.commit()
    new = seats()
    assert new[("council", "熊谷市")][1] is Role.CHAIR
    assert new[("council", "川口市")][1] is Role.VICE_CHAIR
    assert new[("council", "川越市")][1] is Role.MEMBER
    assert new[("planning", "川越市")][1] is Role.CHAIR  # the 部会 keeps last year's chair


@pytest.mark.parametrize("encoding, bom", [("utf-8", False), ("utf-8", True), ("cp932", False)])
def test_excel_encodings_are_read(ctx, encoding, bom):
    data = ("団体,氏名,役職,メールアドレス\n川越市,髙橋 﨑子,職員課長,t@example.jp\n").encode(encoding)
    transfers, problems = rollover.read_csv((b"\xef\xbb\xbf" if bom else b"") + data)
    assert problems == [] and (transfers[0].body_ref, transfers[0].name) == ("川越市", "髙橋 﨑子")


def test_a_wrong_column_or_broken_encoding_is_refused(ctx):
    assert "不明な列 部署" in rollover.read_csv("団体,氏名,部署,メールアドレス\n".encode())[1][0]
    assert "必要な列 メールアドレス" in rollover.read_csv("団体,氏名\n".encode())[1][0]
    assert "文字コード" in rollover.read_csv("団体,氏名\n".encode("cp932") + b"\x81\x7f")[1][0]
    assert "文字コード" in rollover.read_csv("団体,氏名,メールアドレス\n".encode("utf-16"))[1][0]
