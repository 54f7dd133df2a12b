"""The listing page's state: a shop product's variant picker."""

from __future__ import annotations

from marketplace_app.db import write_session
from marketplace_app.models import ListingVariant
from marketplace_app.state.catalog import ListingState
from tests.unit.state.conftest import call
from tests.unit.state.test_shops_state import media_dir, two_shops  # noqa: F401  (fixtures)


def _page(make_state, listing_id: int) -> ListingState:
    state = make_state(ListingState, path=f"/listing/{listing_id}")
    call(state, "load")
    return state


def test_variants_are_offered_with_price_and_stock(make_state, two_shops):  # noqa: F811
    state = _page(make_state, two_shops["product"])
    assert [v.label for v in state.variants] == ["250 g", "500 g"]
    assert state.variant_id == two_shops["variant"]
    assert "18" in state.price and "5" in state.stock_label

    second = state.variants[1]
    call(state, "select_variant", second.id)
    assert state.variant_id == second.id
    assert "30" in state.price and state.stock_label == "仅剩 2 件"  # zh-CN is the default locale


def test_a_sold_out_variant_is_not_chosen_first(make_state, two_shops):  # noqa: F811
    with write_session() as s:
        s.get(ListingVariant, two_shops["variant"]).stock = 0
    state = _page(make_state, two_shops["product"])
    assert state.variants[0].sold_out and state.variants[0].stock == "已售罄"
    assert state.variant_id == state.variants[1].id


def test_unknown_variant_ids_change_nothing(make_state, two_shops):  # noqa: F811
    state = _page(make_state, two_shops["product"])
    before = (state.variant_id, state.price, state.stock_label)
    for bad in (0, -1, 10**9, "1", None):
        call(state, "select_variant", bad)
    assert (state.variant_id, state.price, state.stock_label) == before
