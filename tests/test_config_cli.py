import pytest
from sqlalchemy import select

from liaison import create_app
from liaison.config import ConfigError, normalise_database_url
from liaison.extensions import db
from liaison.models import User


def test_production_refuses_a_missing_or_weak_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("LIAISON_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="too short"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    assert create_app().config["SECRET_KEY"] == "x" * 40


def test_database_url_uses_psycopg3():
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_cli_creates_a_user_and_refuses_a_duplicate(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "Ops@Example.jp", "--name", "運用 担当", "--admin",
                                 "--password", "a-long-password"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ops@example.jp"))
        assert user.is_admin and user.check_password("a-long-password")
    again = runner.invoke(args=["users", "create", "ops@example.jp", "--name", "x", "--password", "a-long-password"])
    assert again.exit_code != 0 and "既に登録されています" in again.output


def test_cli_seed_is_idempotent(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0 and "0 changes" in result.output


@pytest.mark.parametrize("env, expected", [
    ({}, "http://127.0.0.1:5000"),
    ({"PORT": "6100"}, "http://127.0.0.1:6100"),
    ({"PORT": "6100", "HOST": "0.0.0.0"}, "http://127.0.0.1:6100"),
    ({"PORT": "6100", "HOST": "192.168.1.20"}, "http://192.168.1.20:6100"),
    ({"PORT": "6100", "BASE_URL": "https://liaison.example.jp/"}, "https://liaison.example.jp"),
])
def test_base_url_follows_host_and_port_unless_set(monkeypatch, tmp_path, env, expected):
    for name in ("BASE_URL", "PORT", "HOST"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'base.sqlite3'}")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    assert create_app({"LIAISON_ENV": "testing"}).config["BASE_URL"] == expected
