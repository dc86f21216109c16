"""The vocabulary guard on a made-up tokenizer: which tokens it lets through after a reply."""

import itertools

import pytest

from recommender.models.llama_cpp.word_guard import (
    QuotationGuard,
    TokenTable,
    VocabularyGuard,
    folded,
    is_plain,
    trailing_word,
)

WORDS = {"soap", "lavender", "oil", "oils", "with", "and", "toward", "leaning", "olive", "a"}
TEXTS = [
    "",                                   # 0: the end of the turn
    " soap", " lav", "ender", " oil", "s", " and", " a", " toward", " lean", "ing",  # 1-10
    " lol", "lipop", ",", ".", "\n", " ", "'",                                          # 11-17
    " mas", "cab", "oil,", " & ", " 30", "ml", None, " ol", "ive", "i", "ve",            # 18-28
    " L'Ore", "al", " Lavender", "soap", "zz", " x", " sp", "***", " ™",                # 29-37
    *"abcdefghijklmnopqrstuvwxyz",  # 38-63: every letter is a token, as in a byte-level BPE
    "End", " LAV", "ENDER",                                                             # 64-66
    " “", "“", "”", "”.", ".”", " (“", "hand", " product",                              # 67-74
    " an", " drama", " FBI", " hour",                                                   # 75-78
    " 2", "0", "17", " 0",                                                              # 79-82
]


def _reference(guard: VocabularyGuard, word: str) -> set[int]:
    """Every token that ``fits``, token by token: what ``allowed`` must equal."""
    return {t for t, text in enumerate(TEXTS) if text is not None
            and all(is_plain(ch) for ch in text)
            and not (word and text.isalnum() and any(c.isupper() for c in text))  # "lav" + "End"
            and guard.fits(word, folded(text) if text else " ")}


def test_only_ascii_letters_digits_and_plain_punctuation_are_written():
    assert all(is_plain(c) for c in "Soap 30, oils.\n(a-b)")
    assert not any(is_plain(c) for c in "'’é*™|")  # "l'e'a'n" would pass for "lean"


def test_folding_reads_words_as_the_checker_does():
    assert folded(" L'Oréal,") == " loreal "
    assert folded("A&B") == "a and b"
    assert trailing_word("You enjoy products with lav") == ("lav", False)
    assert trailing_word("soap, ") == ("", False) and trailing_word(" SP") == ("sp", True)


def test_tokens_are_sorted_by_how_they_touch_the_word_being_written():
    table = TokenTable.from_texts(TEXTS)
    assert table.neutral == []
    every = {*table.neutral, *table.breaking, *(t for _, ids in table.starting.items() for t in ids),
             *(t for _, ids in table.going_on.items() for t in ids), *(t for t, _ in table.mixed)}
    assert not {17, 24, 29, 36, 37} & every  # "'", a byte piece, "L'Ore", "***", "™": never
    assert {0, 13, 14, 15, 16} <= set(table.breaking)
    assert table.starting["lav"] == [2, 65] and table.going_on["ender"] == [3, 66]
    assert {t for t, _ in table.mixed} == {20, 21}   # "oil," and " & "


@pytest.mark.parametrize("word", ["", "lav", "lavender", "l", "lave", "ol", "oli", "soap", "30",
                                  "oil", "toward", "lean", "a"])  # every word a reply can reach
def test_the_tokens_allowed_are_those_that_keep_every_word_in_the_set(word):
    guard = VocabularyGuard(TokenTable.from_texts(TEXTS), WORDS)
    assert set(guard.allowed(word)) == _reference(guard, word)


def test_an_invented_word_cannot_be_spelled():
    guard = VocabularyGuard(TokenTable.from_texts(TEXTS), WORDS)
    assert 11 not in guard.allowed("")      # no word of the set starts "lol"
    assert 12 not in guard.allowed("lo")    # nor "lolipop"
    assert 25 in guard.allowed("") and 26 in guard.allowed("ol")  # " ol" "ive": "olive"
    assert 19 not in guard.allowed("mas")   # "mascab"
    assert 3 in guard.allowed("lav") and 0 not in guard.allowed("lav")  # no ending on "lav"
    assert 0 in guard.allowed("lavender") and 5 in guard.allowed("oil")  # "oils"
    assert 20 in guard.allowed("")          # "oil,"
    assert 22 in guard.allowed("") and 23 not in guard.allowed("30")  # "30", not "30ml"
    assert 7 in guard.allowed("")           # " a": a short word of the set ...
    assert not {33, 34, 35} & set(guard.allowed(""))  # ... but not "zz", " x" or " sp"


def test_a_word_goes_on_in_capitals_only_when_it_is_written_in_capitals():
    guard = VocabularyGuard(TokenTable.from_texts(TEXTS), WORDS)
    assert 3 in guard.allowed("lav") and 64 not in guard.allowed("lav")  # not "lavEnder"
    assert 65 in guard.allowed("") and {3, 66} <= set(guard.allowed("lav", in_capitals=True))


def test_greedy_decoding_under_the_guard_writes_only_words_of_the_set():
    guard = VocabularyGuard(TokenTable.from_texts(TEXTS), WORDS)
    wanted = [2, 3, 6, 11, 12, 14]  # " lav" "ender" " and" " lol" "lipop" ".": lollipop
    preference = {t: len(wanted) - i for i, t in enumerate(wanted)}
    reply = " toward"
    for _ in range(8):
        allowed = guard.allowed(*trailing_word(reply))
        token = max(allowed, key=lambda t: (preference.get(t, 0), -t))
        if token == 0:
            break
        reply += TEXTS[token]
    words = folded(reply).split()
    assert "lavender" in words
    assert all(len(w) <= 2 or w in WORDS for w in words), reply


def test_every_reachable_word_has_an_allowed_next_token():
    guard = VocabularyGuard(TokenTable.from_texts(TEXTS), WORDS)
    prefixes = {w[:i] for w in WORDS for i in range(1, len(w) + 1)}
    for word in itertools.chain([""], prefixes):
        assert guard.allowed(word), word


def test_quotation_marks_are_sorted_apart():
    table = TokenTable.from_texts(TEXTS)
    assert (table.opening_quotes, table.closing_quotes, table.other_quotes) == \
        ([67, 68], [69, 70], [71, 72])


def test_a_quotation_is_read_from_its_opening_mark_until_it_closes():
    assert QuotationGuard.quoting("is another “nail pol") == "nail pol"
    assert QuotationGuard.quoting("is another “") == ""
    assert QuotationGuard.quoting("is another “nail” product") is None
    assert QuotationGuard.quoting("is another nail product") is None


def test_a_quotation_holds_only_the_words_given_and_closes_after_a_whole_one():
    guard = QuotationGuard(TokenTable.from_texts(TEXTS), {"soap", "lavender"})
    assert 73 not in guard.allowed("") and 32 in guard.allowed("")  # not “hand, but “soap
    assert 1 not in guard.allowed("") and 1 in guard.allowed("lavender ")  # “ soap, “lavender soap
    assert {38 + ord(c) - ord("a") for c in "ls"} <= set(guard.allowed(""))  # “l..., “s...
    assert 69 not in guard.allowed("") and 69 not in guard.allowed("lav")  # not “” nor “lav”
    assert {69, 70} <= set(guard.allowed("lavender")) and 71 not in guard.allowed("lavender")
    assert {67, 68} & set(guard.blocked_outside) == set()  # a quotation may be opened ...
    assert {69, 70, 71, 72} <= set(guard.blocked_outside)  # ... but no mark stands alone


def test_with_no_words_to_quote_no_quotation_is_opened():
    guard = QuotationGuard(TokenTable.from_texts(TEXTS), ())
    assert {67, 68, 69, 70, 71, 72} == set(guard.blocked_outside)


def test_greedy_decoding_under_the_quotation_guard_quotes_only_words_given():
    table = TokenTable.from_texts(TEXTS)
    guard = QuotationGuard(table, {"soap"})
    wanted = [67, 73, 69, 74, 14, 0]  # " “" "hand" "”" " product" "." (the end), in order
    reply = "is another"
    for _ in range(12):
        quoted = guard.quoting(reply)
        allowed = (guard.allowed(quoted) if quoted is not None else
                   [t for t in range(len(TEXTS)) if t not in guard.blocked_outside])
        preference = {t: len(wanted) - i for i, t in enumerate(wanted)}
        token = max(allowed, key=lambda t: (preference.get(t, 0), -t))
        if token == 0:
            break
        reply += TEXTS[token]
        wanted = wanted[wanted.index(token) + 1:] if token in wanted else wanted
    assert reply == "is another “soap” product.", reply  # not “hand”


def test_the_tokens_that_would_split_a_number_are_known():
    table = TokenTable.from_texts(TEXTS)
    assert {22, 79, 80, 81, 82} <= table.digits             # " 30", " 2", "0", "17", " 0"
    assert not {23, 4, 16} & table.digits                   # "ml", " oil", " "
    assert set(table.spaced_digits) == {16, 22, 79, 82}     # " ", " 30", " 2", " 0"


def test_the_tokens_an_article_may_not_take_are_known():
    table = TokenTable.from_texts(TEXTS)
    assert table.articles == {7: "a", 75: "an"}
    assert {4, 18 - 14} <= set(table.not_after["a"])          # " oil" after "a"
    assert {1, 2, 76} <= set(table.not_after["an"])           # " soap", " lav", " drama"
    assert not {77, 78, 65} & {*table.not_after["a"], *table.not_after["an"]}  # FBI, hour, LAV
