"""The vendored catalog generator matches the team's shared one."""

import pytest

from datasets import SHARED, VENDORED, catalog_script


def test_the_vendored_copy_is_the_shared_file():
    if not SHARED.is_file():
        pytest.skip("no ../shared/datasets next to this clone; the vendored copy is used")
    assert VENDORED.read_bytes() == SHARED.read_bytes()
    assert catalog_script() == SHARED
