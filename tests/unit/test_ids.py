"""parse_id: the one parser for database ids coming from URLs and handler arguments."""

import pytest

from marketplace_app.ids import MAX_ID, parse_id


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1), ("1", 1), ("0042", 42), (MAX_ID, MAX_ID), (str(MAX_ID), MAX_ID)],
)
def test_ids_in_range_are_read(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        0,
        -1,
        "0",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1.0",
        "1e3",
        "٣",  # an Arabic-Indic digit: str.isdigit() says yes
        "²",
        MAX_ID + 1,
        str(MAX_ID + 1),
        2**63,
        "99999999999999999999",
        "9" * 5000,  # past Python's int() digit limit
        True,
        False,
        1.0,
        None,
        [],
        {"id": 1},
        "",
    ],
)
def test_anything_else_is_not_an_id(value):
    assert parse_id(value) is None
