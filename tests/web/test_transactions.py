"""One commit per request: after the view, only for a non-error answer; act() leaves nothing of a refusal."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import flash, redirect
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from liaison.domain import DomainError
from liaison.extensions import db
from liaison.models import User

from ..conftest import Client, make_app

BLUEPRINTS = Path(__file__).resolve().parents[2] / "liaison" / "blueprints"


def _calls(name: str) -> list[str]:
    """Where a blueprint module calls something.<name>(), as path:line."""
    found = []
    for path in sorted(BLUEPRINTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name:
                found.append(f"{path.name}:{node.lineno}")
    return found


def test_the_blueprints_commit_in_one_place():
    commits = _calls("commit")
    assert len(commits) == 1 and commits[0].startswith("handling.py:"), commits


def _user(email: str) -> User:
    return User(email=email, name="試験 太郎", password_hash="x")


def _stored(email: str) -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.email == email))


@pytest.fixture()
def probe(app, tmp_path):
    """An app on the same database with a few routes that write a user and then end in different ways."""
    probe = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, PROPAGATE_TEST_ERRORS=False,
                     WTF_CSRF_ENABLED=False)

    @probe.post("/_probe/<int:status>/<email>")
    def write_then_answer(status: int, email: str):
        db.session.add(_user(email))
        db.session.flush()
        flash("保存しました。", "success")
        return ("", status) if status != 303 else redirect("/", 303)

    @probe.post("/_probe/refused/<email>")
    def refused(email: str):
        from liaison.blueprints.handling import act

        def change():
            db.session.add(_user(email))
            db.session.flush()
            raise DomainError("できません。", "nothing")

        return act(FlaskForm(), change, success="保存しました。", to="/", page=lambda: "form page")

    @probe.post("/_probe/accepted/<email>")
    def accepted(email: str):
        from liaison.blueprints.handling import act

        return act(FlaskForm(), lambda: db.session.add(_user(email)), success="保存しました。", to="/")

    @probe.post("/_probe/boom/<email>")
    def boom(email: str):
        db.session.add(_user(email))
        db.session.flush()
        raise RuntimeError("after a flush")

    probe.test_client_class = Client
    yield probe
    with probe.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("status, kept", [(200, True), (303, True), (400, False), (403, False), (409, False), (500, False)])
def test_the_request_commits_only_a_non_error_answer(app, probe, status, kept):
    email = f"status-{status}@example.jp"
    assert probe.test_client().post(f"/_probe/{status}/{email}").status_code == status
    with app.app_context():
        assert _stored(email) == (1 if kept else 0)


def test_an_exception_after_a_flush_leaves_nothing(app, probe):
    assert probe.test_client().post("/_probe/boom/boom@example.jp").status_code == 500
    with app.app_context():
        assert _stored("boom@example.jp") == 0


def test_act_rolls_back_a_refusal_and_shows_the_page_again(app, probe):
    response = probe.test_client().post("/_probe/refused/refused@example.jp")
    assert response.status_code == 400 and response.get_data(as_text=True) == "form page"
    with app.app_context():
        assert _stored("refused@example.jp") == 0


def test_act_commits_an_accepted_change_and_redirects(app, probe):
    client = probe.test_client()
    response = client.post("/_probe/accepted/accepted@example.jp")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    with client.session_transaction() as session:
        assert [message for _category, message in session["_flashes"]] == ["保存しました。"]
    with app.app_context():
        assert _stored("accepted@example.jp") == 1


def test_a_failed_commit_is_an_error_and_claims_no_success(app, probe, factory):
    taken = factory.user(email="taken@example.jp").email
    client = probe.test_client()
    # The duplicate e-mail passes the view (no flush) and fails in the request's commit.
    response = client.post(f"/_probe/accepted/{taken}")
    assert response.status_code == 500
    assert "システムエラーが発生しました" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "_flashes" not in session
    with app.app_context():
        assert _stored(taken) == 1
