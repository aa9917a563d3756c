"""The benchmark's bare route is mounted by bench/wsgi.py, never by the application factory."""
from __future__ import annotations

from bench import wsgi as bench_wsgi
from liaison import create_app


def _env(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("LIAISON_ENV", "testing")
    monkeypatch.setenv("SECRET_KEY", "bench-wsgi-test-secret-key-0123456789abcdef")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bench.sqlite3'}")


def test_create_app_has_no_bench_route_even_when_the_old_switch_is_set(monkeypatch, tmp_path):
    _env(monkeypatch, tmp_path)
    monkeypatch.setenv("LIAISON_BENCH_BARE_ROUTE", "1")
    app = create_app()
    assert not [rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/_bench")]
    assert app.test_client().get("/_bench/bare").status_code == 404


def test_bench_wsgi_serves_the_bare_route(monkeypatch, tmp_path):
    _env(monkeypatch, tmp_path)
    response = bench_wsgi.create_app().test_client().get(bench_wsgi.BARE_PATH)
    assert response.status_code == 200 and response.data == b"ok\n"
