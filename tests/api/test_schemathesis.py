"""Schemathesis against /api/v1/openapi.json on the demo database, through the WSGI app, on both databases:
as a member's read token and as a member's write token. No server error, every response conforms to its
schema. Path ids are drawn from the demo's rows most of the time (random integers would only meet 404)."""
from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import select

from liaison.domain import api_tokens
from liaison.extensions import db
from liaison.models import Committee, Meeting, Proposal, User, Vote
from liaison.seed.demo import seed_demo

MAX_EXAMPLES = {"read": 8, "write": 20}  # the write token runs the write operations only (reads are the same)
RESULTS: list[dict] = []


def _demo(app) -> tuple[dict, dict]:
    with app.app_context():
        users = seed_demo()
        db.session.commit()
        pools = {
            "meeting_id": list(db.session.scalars(select(Meeting.id))),
            "vote_id": list(db.session.scalars(select(Vote.id))),
            "proposal_id": list(db.session.scalars(select(Proposal.id))),
            "committee_id": list(db.session.scalars(select(Committee.id))),
        }
        member = db.session.get(User, users["members"][0].id)  # seats in the council and a 部会
        _token, read = api_tokens.create(member, actor=member, name="schemathesis read")
        _token, write = api_tokens.create(member, actor=member, name="schemathesis write", write=True)
        db.session.commit()
    return pools, {"read": read, "write": write}


def _with_demo_ids(case, draw_ids: dict):
    for name, value in draw_ids.items():
        if case.path_parameters and name in case.path_parameters and value is not None:
            case.path_parameters[name] = value
    return case


def test_schemathesis_finds_no_server_error_and_every_response_conforms(app):
    limits = app.config["API_RATE_LIMITS"]
    app.config["API_RATE_LIMITS"] = "100000 per minute"
    pools, secrets = _demo(app)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    try:
        for scope in ("read", "write"):  # one demo database for both (seeding it is the slow part)
            _run(schema, pools, scope, secrets[scope])
    finally:
        app.config["API_RATE_LIMITS"] = limits


def _run(schema, pools: dict, scope: str, secret: str) -> None:
    headers = {"Authorization": f"Bearer {secret}"}
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    if scope == "write":
        operations = [operation for operation in operations if operation.method.upper() != "GET"]
    counts = {"operations": len(operations), "cases": 0, "failures": 0, "server_errors": 0, "statuses": {}}
    failures = []
    # Mostly the demo's ids; sometimes schemathesis' own (which meet 404).
    ids = st.fixed_dictionaries({name: st.one_of(st.sampled_from(values), st.sampled_from(values), st.none())
                                 if values else st.none() for name, values in pools.items()})
    for operation in operations:
        @settings(max_examples=MAX_EXAMPLES[scope], deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=st.tuples(operation.as_strategy(), ids).map(lambda pair: _with_demo_ids(*pair)))
        def run(case):
            counts["cases"] += 1
            response = case.call(headers=headers)
            counts["statuses"][response.status_code] = counts["statuses"].get(response.status_code, 0) + 1
            if response.status_code >= 500:
                counts["server_errors"] += 1
            try:
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance],
                                       headers=headers)
            except AssertionError as error:  # schemathesis' FailureGroup is an AssertionError
                counts["failures"] += 1
                failures.append(f"{operation.label}: {str(error)[:400]}")

        run()
    counts["seconds"] = round(time.monotonic() - started, 1)
    RESULTS.append({"scope": scope, **counts})
    print(f"\nschemathesis [{scope}] {counts}")
    assert counts["operations"] >= (18 if scope == "read" else 6)
    assert counts["server_errors"] == 0
    assert failures == []
