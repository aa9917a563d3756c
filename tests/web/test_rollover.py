"""年度更新 over HTTP: preview writes nothing, bad CSVs (Shift_JIS from Excel included) are shown row by row."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from liaison.dates import current_fiscal_year
from liaison.extensions import db
from liaison.models import Membership, Notification, NotificationKind, User

FY = current_fiscal_year()
HEADING = "団体,氏名,役職,メールアドレス\r\n"


@pytest.fixture()
def seated(factory):
    return [factory.member("council", body=body, email=f"m{n}@example.jp", fiscal_year=FY)
            for n, body in enumerate(("川越市", "熊谷市", "川口市"))]


def _post(client, data: dict, csv_bytes: bytes | None = None):
    data = dict(data)
    data.setdefault("csrf_token", client.csrf_token())
    if csv_bytes is not None:
        data["csv"] = (io.BytesIO(csv_bytes), "jinji.csv")
    return client.post(f"/admin/rollover?to_year={FY + 1}", data=data, content_type="multipart/form-data")


def _next_year_seats(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Membership).where(Membership.fiscal_year == FY + 1))


def test_the_page_shows_the_columns_and_an_example_file(client, login, factory, seated):
    login(client, factory.admin().email)
    page = client.get(f"/admin/rollover?to_year={FY + 1}").get_data(as_text=True)
    assert "メールアドレス" in page and "記入例のCSVファイル" in page and "川越市" in page
    example = client.get("/admin/rollover/example.csv")
    assert example.status_code == 200 and example.mimetype == "text/csv"
    assert example.get_data().decode("utf-8-sig").startswith("団体,氏名,役職,メールアドレス")


def test_a_shift_jis_csv_from_excel_is_previewed_then_applied(app, client, login, factory, seated):
    login(client, factory.admin().email)
    csv_bytes = (HEADING + "川越市,髙橋 花子,職員課長,takahashi@example.jp\r\n").encode("cp932")
    preview = _post(client, {"action": "preview"}, csv_bytes)
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "髙橋 花子" in text and "takahashi@example.jp" in text and "この内容で登録する" in text
    assert _next_year_seats(app) == 0  # the preview wrote nothing
    # The preview filled the on-screen table: applying posts it.
    with app.app_context():
        body_id = db.session.scalar(select(User).where(User.email == "m0@example.jp")).body_id
    applied = _post(client, {"action": "apply", f"s-{body_id}-name": "髙橋 花子", f"s-{body_id}-title": "職員課長",
                             f"s-{body_id}-email": "takahashi@example.jp"})
    assert applied.status_code == 303
    assert _next_year_seats(app) == 3
    with app.app_context():
        successor = db.session.scalar(select(User).where(User.email == "takahashi@example.jp"))
        assert db.session.scalar(select(Notification.kind).where(Notification.recipient_id == successor.id)) \
            is NotificationKind.ACCOUNT_INVITATION
    # Twice: nothing more.
    assert _post(client, {"action": "apply"}).status_code == 303
    assert _next_year_seats(app) == 3


@pytest.mark.parametrize("csv_bytes, message", [
    ((HEADING + "存在しない村,山田 太郎,課長,y@example.jp\r\n").encode("cp932"), "2行目: 構成団体「存在しない村」が見つかりません。"),
    ((HEADING + "川越市,山田 太郎,課長,same@example.jp\r\n熊谷市,山田 次郎,課長,same@example.jp\r\n").encode("cp932"),
     "3行目: メールアドレス same@example.jp が2行目と重複しています。"),
    ("団体,氏名,部署,メールアドレス\r\n".encode("cp932"), "1行目: 不明な列 部署 があります。"),
    (b"\xef\xbb\xbf" + "団体,氏名\r\n".encode(), "1行目: 必要な列 メールアドレス がありません。"),
    ("団体,氏名,役職,メールアドレス\r\n".encode("utf-16"), "文字コードを読み取れません"),
])
def test_bad_csvs_are_shown_row_by_row_and_nothing_is_written(app, client, login, factory, seated, csv_bytes, message):
    login(client, factory.admin().email)
    for action in ("preview", "apply"):
        response = _post(client, {"action": action}, csv_bytes)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
        assert "この内容で登録する" not in response.get_data(as_text=True)
    assert _next_year_seats(app) == 0


def test_only_administrators_and_csrf(app, client, login, factory, seated):
    login(client, factory.secretariat().email)
    assert client.get("/admin/rollover").status_code == 403
    login(client, factory.admin().email)
    response = client.post(f"/admin/rollover?to_year={FY + 1}", data={"action": "apply"})
    assert response.status_code == 400
    assert _next_year_seats(app) == 0
