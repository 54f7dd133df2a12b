"""Masking contact details: phones (Chinese and international formats), emails and
links are masked; prices, dates and sizes are not."""

from __future__ import annotations

import pytest

from marketplace_app.services import masking


@pytest.mark.parametrize(
    "text",
    [
        "call me 13800138000",
        "call me 138 0013 8000",
        "call me 138-0013-8000",
        "call me +86 138 0013 8000",
        "call me +86-13800138000",
        "call me (+86) 13800138000",
        "call me 0086 13800138000",
        "landline 0755-8888-6666",
        "call +49 30 1234567",
        "tel：１３８００１３８０００",
        "mail ann.lee+shop@example.com please",
        "see https://example.org/item?id=3",
        "see www.taobao.com/shop",
        "see myshop.cn/lamp",
    ],
)
def test_contact_details_are_masked(text):
    masked, changed = masking.mask_contacts(text)
    assert changed
    assert masking.MASK in masked
    for secret in ("13800138000", "8000", "6666", "1234567", "example", "taobao", "myshop"):
        assert secret not in masked


@pytest.mark.parametrize(
    "text",
    [
        "Would you take ¥1200?",
        "I can pay 1,200 or 1200.50 yuan",
        "How about 12000000元",
        "Pick up on 2024-05-06 at 14:30?",
        "or 06/05/2024, or 2024/5/6",
        "It is 45 x 30 x 20 cm, 3 kg",
        "Is it still available? 2 pieces",
    ],
)
def test_prices_dates_and_sizes_are_not_masked(text):
    assert masking.mask_contacts(text) == (text, False)
