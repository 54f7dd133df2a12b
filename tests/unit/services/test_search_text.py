"""Normalising text for the search index and turning input into safe query terms."""

import pytest

from marketplace_app.services.search_text import (
    MAX_TERMS,
    Term,
    fts5_query,
    index_text,
    index_tokens,
    query_terms,
    tsquery,
    tsvector,
)


def test_latin_text_is_folded_and_split_on_anything_but_letters_and_digits():
    assert index_tokens("Café-Bar: ÜBER 2 Straße, e-reader!") == [
        "cafe",
        "bar",
        "uber",
        "2",
        "strasse",
        "e",
        "reader",
    ]
    assert index_text("ＡＢＣ Ｘ１") == "abc x1"  # full-width forms fold to ASCII


def test_cjk_runs_become_pairs_then_single_characters():
    assert index_tokens("新鲜面包") == ["新鲜", "鲜面", "面包", "新", "鲜", "面", "包"]
    assert index_tokens("iPhone手机 大") == ["iphone", "手机", "手", "机", "大"]


def test_query_words_are_prefixes_and_cjk_runs_are_phrases_of_pairs():
    assert query_terms("Bicy 面包 鲜面包 包") == [
        Term(("bicy",), prefix=True),
        Term(("面包",), prefix=False),
        Term(("鲜面", "面包"), prefix=False),
        Term(("包",), prefix=False),
    ]


def test_single_letters_are_whole_words_not_prefixes():
    assert query_terms("a b2 7") == [
        Term(("a",), prefix=False),
        Term(("b2",), prefix=True),
        Term(("7",), prefix=False),
    ]


def test_operators_and_symbols_only_separate_terms():
    terms = query_terms('"honey" AND (lamp OR -x*) NEAR/2 ^a:b {title}: 🍯 \\ \'')
    tokens = [t.tokens[0] for t in terms]
    assert tokens == ["honey", "and", "lamp", "or", "x", "near", "2", "a", "b", "title"]
    assert query_terms("🍯 *** () -- ''") == []


def test_query_is_cut_to_80_characters_and_12_terms():
    assert query_terms("a" * 79 + " zzz") == [Term(("a" * 79,), prefix=True)]
    assert len(query_terms(" ".join(f"w{i}" for i in range(30)))) == MAX_TERMS
    assert query_terms("lamp LAMP Lamp") == [Term(("lamp",), prefix=True)]


def test_fts5_and_tsquery_forms():
    terms = query_terms("bicy 鲜面包")
    assert fts5_query(terms) == '"bicy"* AND "鲜面 面包"'
    assert tsquery(terms) == "'bicy':* & ('鲜面' <-> '面包')"


@pytest.mark.parametrize("text", ["", "   ", "!!"])
def test_empty_text_has_no_tokens(text):
    assert index_tokens(text) == []
    assert tsvector(text, text) == ""


def test_tsvector_weights_the_title_and_keeps_positions():
    assert (
        tsvector("Honey jar", "With 面包") == "'honey':2A 'jar':3A 'with':5 '面包':6 '面':7 '包':8"
    )
