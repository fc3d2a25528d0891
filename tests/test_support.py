"""The support check's rules, one by one (its quality is scored by tests/test_support_quality.py)."""

from __future__ import annotations

from storyline.summarize.support import supported

CITED = ("Police said four women were found shot dead inside the Fairmont Terrace apartments in Tulsa on Monday.",
         "Tulsa Police Officer Jillian Roberson said a 4-year-old child was found unharmed.")


def test_a_faithful_paraphrase_is_supported() -> None:
    s = supported("Four women were found shot dead at a Tulsa apartment on Monday, police said.", CITED)
    assert s.supported, s.reason
    assert s.score >= 0.8


def test_numbers_meet_in_digits_and_words() -> None:
    assert supported("A four-year-old child was found unharmed, Roberson said.", CITED).supported
    s = supported("A 5-year-old child was found unharmed, Roberson said.", CITED)
    assert not s.supported
    assert s.reason == "number 5 not in cited sentences"


def test_a_whole_hour_is_its_number() -> None:
    assert supported("The shooting was reported at 3:00 a.m. Tuesday.", ["The shooting was reported at 3 a.m. Tuesday."]
                     ).supported


def test_an_added_negation_is_unsupported() -> None:
    s = supported("Four women were not found dead inside the Fairmont Terrace apartments in Tulsa.", CITED)
    assert (s.supported, s.reason) == (False, "negation not in cited sentences")


def test_a_name_the_cited_sentences_lack_is_unsupported() -> None:
    s = supported("Four women were found shot dead in Tulsa, Sgt. Leland Ashley said.", CITED)
    assert not s.supported
    assert s.reason.startswith("name ")


def test_an_added_claim_is_unsupported() -> None:
    s = supported("Four women were found shot dead in Tulsa after a long dispute over rent with a neighbour.", CITED)
    assert not s.supported
    assert "of its words in cited sentences" in s.reason


def test_no_citation_supports_nothing() -> None:
    assert supported("Four women were found dead.", []).reason == "cites no sentence"
    assert not supported("Four women were found dead.", ["  "]).supported


def test_an_age_must_be_an_age_in_the_cited_sentences() -> None:
    """"Four women" does not say a child is 4; "Marcello Brown, 23," says he is 23."""
    s = supported("An unharmed 4-year-old child was found, Roberson said.",
                  ["Police found four dead women and an unharmed child inside, Roberson said."])
    assert (s.supported, s.reason) == (False, "age 4 not in cited sentences")
    assert supported("Marcello Brown, a 23-year-old, died Saturday.", ["Marcello Brown, 23, died Saturday."]).supported
    assert supported("A four-year-old child was found.", ["A 4-year-old child was found."]).supported
