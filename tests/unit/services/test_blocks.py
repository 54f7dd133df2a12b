"""Blocks between members: one direction or either, idempotent, never oneself."""

from __future__ import annotations

import pytest

from marketplace_app.db import read_session, write_session
from marketplace_app.models import User
from marketplace_app.models.types import utcnow
from marketplace_app.services import blocks
from marketplace_app.services.errors import NotFound, ValidationFailed
from tests.unit.services.conftest import make_user


@pytest.fixture
def pair(db):
    with write_session() as s:
        return make_user(s, "Ann").id, make_user(s, "Bob").id


def test_a_block_counts_both_ways_but_belongs_to_the_blocker(pair):
    ann, bob = pair
    with write_session() as s:
        blocks.block(s, ann, bob)
        blocks.block(s, ann, bob)
    with read_session() as s:
        assert blocks.is_blocked(s, ann, bob) and blocks.is_blocked(s, bob, ann)
        assert blocks.has_blocked(s, ann, bob) and not blocks.has_blocked(s, bob, ann)
        assert blocks.blocked_ids(s, ann) == [bob]
        assert blocks.blocked_ids(s, bob) == []
    # Bob lifting a block he never made changes nothing.
    with write_session() as s:
        blocks.unblock(s, bob, ann)
    with read_session() as s:
        assert blocks.is_blocked(s, ann, bob)
    with write_session() as s:
        blocks.unblock(s, ann, bob)
    with read_session() as s:
        assert not blocks.is_blocked(s, ann, bob)


def test_blocking_oneself_or_nobody_is_refused(pair):
    ann, bob = pair
    with write_session() as s:
        with pytest.raises(ValidationFailed) as error:
            blocks.block(s, ann, ann)
        assert error.value.fields == {"_form": "error.block_self"}
        with pytest.raises(NotFound):
            blocks.block(s, ann, 999_999)
        with pytest.raises(NotFound):
            blocks.block(s, ann, "2")
        s.get(User, bob).deleted_at = utcnow()
        s.flush()
        with pytest.raises(NotFound):
            blocks.block(s, ann, bob)
