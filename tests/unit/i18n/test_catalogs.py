"""The zh-CN and en catalogs hold the same keys, and every key the code names exists."""

import re
from pathlib import Path

import pytest

from marketplace_app.i18n import LOCALES, catalog, normalize_locale, translate
from marketplace_app.i18n.formatting import money

SOURCE = Path(__file__).resolve().parents[3] / "marketplace_app"
KEY_CALL = re.compile(r"""(?:\btr|translate|_tr)\(\s*(?:[\w.]+,\s*)?["']([a-z_]+\.[a-z_.]+)["']""")
# Services raise errors with message keys: the only keys written as bare literals.
KEY_LITERAL = re.compile(r"""["']((?:error|email)\.[a-z_.]+)["']""")


def test_both_catalogs_have_the_same_keys():
    en, zh = set(catalog("en")), set(catalog("zh-CN"))
    assert en - zh == set(), "missing from zh-CN"
    assert zh - en == set(), "missing from en"


def test_placeholders_match_between_locales():
    for key, text in catalog("en").items():
        other = catalog("zh-CN")[key]
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", other)), key


def test_every_key_used_in_the_code_exists():
    used = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(KEY_CALL.findall(text)) | set(KEY_LITERAL.findall(text))
    assert used, "the scan found no keys: the pattern is broken"
    for locale in LOCALES:
        missing = sorted(k for k in used if k not in catalog(locale))
        assert not missing, f"{locale} lacks {missing}"


def test_a_missing_key_fails_loudly():
    with pytest.raises(KeyError):
        translate("en", "no.such.key")


def test_normalize_locale():
    assert normalize_locale("en-US") == "en"
    assert normalize_locale("zh") == "zh-CN"
    assert normalize_locale("fr", "en") == "en"


def test_money_is_formatted_from_integer_minor_units():
    assert money(1250, "zh-CN") == "¥12.50"
    assert "12.50" in money(1250, "en")
    assert money(0, "zh-CN") == "¥0.00"
