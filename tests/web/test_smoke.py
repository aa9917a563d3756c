def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_dashboard_needs_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_member_sees_dashboard(client, login, factory):
    user = factory.member(committee="planning", body="川越市", email="kawagoe@example.jp", name="川越 太郎")
    login(client, user.email)
    page = client.get("/").get_data(as_text=True)
    assert "企画運営部会" in page and "川越 太郎" in page
