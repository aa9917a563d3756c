"""liaison.hot_commit: the commit's last round trip must follow every hook that queues into it."""
from __future__ import annotations

from liaison import hot_commit
from liaison.domain import audit_chain, live
from liaison.extensions import db
from liaison.pages import versions


def test_the_hot_statements_are_sent_after_every_hook_that_queues_them(ctx):
    hooks = list(db.session().dispatch.before_commit)
    assert hooks[-1] is hot_commit.run, hooks  # a statement queued after it would never be sent
    for queuing in (live._raise_versions, audit_chain.seal, versions._before_commit):
        assert queuing in hooks and hooks.index(queuing) < hooks.index(hot_commit.run)
    # the page counters count the live version's UPDATE: the live hook queues before the counters' hook reads
    assert hooks.index(live._raise_versions) < hooks.index(versions._before_commit)
    assert hooks[0] is audit_chain.read_ahead  # the own audit rows are read before any hot lock
