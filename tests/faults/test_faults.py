"""The sender under faults (issue 16), against the real `flask --app wsgi scheduler run` process, a counting
SMTP server on loopback and the real database: the scenarios of bench/faults.py at small sizes, asserted.

bench/faults.py --size issue runs the same scenarios at the issue's sizes and prints the table.
"""
from __future__ import annotations

import pytest

from bench import faults

from ..dbs import BACKENDS, skip_or_fail_without_postgres

pytestmark = pytest.mark.faults
SIZE = faults.SIZES["test"]
CASES = [(backend, name) for backend in BACKENDS for name, (_, where) in faults.SCENARIOS.items() if backend in where]
# Recovery bounds (seconds) with the scenario settings (a pass every second, a 3 s SQLite lease, the breaker
# pausing at most 2 s), leaving room for a loaded machine; a restart includes starting the Python process.
RECOVERY = {"kill9": 40.0, "terminate": 10.0, "flapping": 10.0, "standby": 15.0, "smtp_outage": 10.0}


@pytest.fixture(scope="session")
def harnesses(tmp_path_factory):
    made: dict[str, tuple] = {}

    def get(backend: str) -> faults.Harness:
        if backend == "postgresql":
            skip_or_fail_without_postgres()
        if backend not in made:
            context = faults.harness(backend, SIZE["users"], tmp_path_factory.mktemp(f"faults-{backend}"))
            made[backend] = (context, context.__enter__())
        return made[backend][1]

    yield get
    for context, _ in made.values():
        context.__exit__(None, None, None)


@pytest.mark.parametrize(("backend", "scenario"), CASES, ids=[f"{b}-{n}" for b, n in CASES])
def test_fault(harnesses, backend, scenario):
    h = harnesses(backend)
    h.smtp.up()
    row = faults.SCENARIOS[scenario][0](h, SIZE)
    print(faults.format_row(row))
    if scenario == "web":
        assert row.notes["5xx_other_than_503"] == 0, row.notes  # never a 500 page
        assert row.notes["503_without_retry_after"] == 0, row.notes
        assert row.notes["statuses"].get(200, 0) >= row.expected * 0.8, row.notes  # it recovers by itself
        return
    assert row.distinct == row.expected, faults.format_row(row)  # every mail arrived
    assert row.not_final == 0, faults.format_row(row)
    assert row.failed_match, faults.format_row(row)  # failed rows: only those the server refused
    if row.crash_window_duplicates is None:
        assert row.duplicates == 0, faults.format_row(row)
    else:  # kill -9 between the server's 250 and the mark: at most the one mail in flight per kill
        assert row.crash_window_duplicates <= SIZE["kills"], faults.format_row(row)
    if scenario in ("lock_backend", "standby"):
        assert row.concurrent_seconds <= 0.5, faults.format_row(row)  # one sender at a time
    if scenario in RECOVERY:
        assert row.recovery_seconds is not None and row.recovery_seconds <= RECOVERY[scenario], faults.format_row(row)
    if scenario == "recipient_answers":
        assert row.expected_failed > 0 and row.failed == row.expected_failed
    if scenario == "cut_mid_data":
        assert row.notes["cuts"] > 0
