"""The entities stage on its own: names found, typed, merged across spellings, partial names and titles."""

from __future__ import annotations

import pytest

from storyline.entities import MAX_CHARS, analyse, find_entities, name_key
from storyline.types import ArticleEntity, EntityType


def entity(entities: tuple[ArticleEntity, ...], name: str) -> ArticleEntity:
    found = [e for e in entities if e.name == name]
    assert found, f"{name!r} not among {[e.name for e in entities]}"
    return found[0]


def holding(entities: tuple[ArticleEntity, ...], spelling: str) -> list[ArticleEntity]:
    return [e for e in entities if spelling == e.name or spelling in e.aliases]


ZELENSKYY = (
    "Ukrainian President Volodymyr Zelenskyy spoke to reporters in Kyiv on Monday. "
    "Zelenskyy said the talks would go on.\n\n"
    "Later, Zelenskiy met European leaders in Brussels."
)


def test_spellings_partial_names_and_titles_are_one_person() -> None:
    found = find_entities("Zelenskiy says Russia seems more inclined now to a ceasefire", ZELENSKYY)
    zelenskyy = entity(found, "Volodymyr Zelenskyy")
    assert zelenskyy.type is EntityType.PERSON
    assert set(zelenskyy.aliases) == {"Zelenskyy", "Zelenskiy"}
    assert zelenskyy.mentions == 4  # headline, title + full name, surname, the other spelling
    assert not holding(found, "Ukrainian President Volodymyr Zelenskyy")
    assert entity(found, "Ukraine" if holding(found, "Ukraine") else "Kyiv").type is EntityType.PLACE


def test_surname_and_full_name_are_one_person_whichever_comes_first() -> None:
    found = find_entities("Putin to meet Trump", "Russian President Vladimir Putin will meet Donald Trump. "
                                                  "Putin has resisted calls for a ceasefire.")
    putin = entity(found, "Vladimir Putin")
    assert putin.type is EntityType.PERSON
    assert putin.aliases == ("Putin",)
    assert putin.mentions == 3
    assert entity(found, "Donald Trump").aliases == ("Trump",)


def test_the_kremlin_is_an_organisation_tied_to_russia() -> None:
    found = find_entities("", "The Kremlin said Thursday that a summit was set. Kremlin aide Yuri Ushakov said so.")
    kremlin = entity(found, "Kremlin")
    assert kremlin.type is EntityType.ORGANIZATION
    assert kremlin.tied_to == "Russia"
    assert kremlin.mentions == 2
    assert entity(found, "Yuri Ushakov").type is EntityType.PERSON


def test_countries_are_one_place_under_any_name() -> None:
    found = find_entities("", "The U.S. and the United States of America are one country; the US said so, "
                              "and officials in America agreed.")
    usa = entity(found, "United States")
    assert usa.type is EntityType.PLACE
    assert {"U.S.", "US", "America"} <= set(usa.aliases)


def test_an_acronym_in_brackets_is_the_name_before_it() -> None:
    found = find_entities("", "The Federal Security Service (FSB) said it was investigating. "
                              "The FSB gave no details.")
    fsb = entity(found, "Federal Security Service")
    assert fsb.type is EntityType.ORGANIZATION
    assert fsb.aliases == ("FSB",)
    assert fsb.mentions == 3


def test_sentence_openers_and_shouted_words_are_not_names() -> None:
    found = find_entities("", "Police said the road was closed. However, the mayor said it was IMMEDIATELY reopened. "
                              "After the storm, Residents were told to stay home.")
    names = {e.name for e in found}
    assert not names & {"Police", "However", "IMMEDIATELY", "After", "Residents"}


def test_a_person_named_like_a_city_stays_a_person() -> None:
    found = find_entities("", "Valeska Paris told the court she was held on the ship. Paris said she was 17. "
                              "Paris, she said, was never told why.")
    assert entity(found, "Valeska Paris").type is EntityType.PERSON
    assert holding(found, "Paris")[0].type is not EntityType.PLACE


def test_spans_point_at_the_names_in_the_text() -> None:
    text = "Mark Rutte spoke. Rutte said NATO was ready."
    found = find_entities("NATO chief speaks", text)
    rutte = entity(found, "Mark Rutte")
    assert [text[a:b] for a, b in rutte.spans] == ["Mark Rutte", "Rutte"]


def test_name_key_is_blind_to_transliteration_and_accents() -> None:
    assert name_key("Zelenskiy") == name_key("Zelenskyy") == name_key("Zelensky")
    assert name_key("Łukasz Szumowski") == name_key("Lukasz Szumowski") or "ł" in name_key("Łukasz")
    assert name_key("José") == name_key("Jose")
    assert name_key("Putin") != name_key("Pútins")


# -- hostile input: nothing crashes, nothing hangs, the stage stays bounded ----------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("text", [
    "",
    " \n\n ",
    "." * 10_000,
    "A" * 50_000,  # one enormous "word"
    "Capitalised Words Everywhere " * 5_000,  # no sentence, a run of names with no end
    "\x00\x01\x02 Vladimir\x0b Putin \x1b[31m said\u200b so \ufeff",
    "of the of the of the " * 2_000,
    "Mr. Mr. Mr. " * 3_000,
    "«»“”‘’'\"" * 2_000,
    "Президент Владимир Путин встретился с Дональдом Трампом. 習近平 ने कहा",
])
def test_hostile_text_gives_entities_or_none_without_crashing(text: str) -> None:
    found = find_entities(text[:50], text)
    for e in found:
        assert e.name
        assert e.mentions >= 1


@pytest.mark.timeout(60)
def test_a_huge_text_is_read_only_up_to_the_limit() -> None:
    text = ("Vladimir Putin met Donald Trump. " * (MAX_CHARS // 32)) + ("Angela Merkel arrived. " * 100_000)
    analysis = analyse("", text)
    assert all(m.end <= MAX_CHARS for m in analysis.mentions)
    assert not holding(find_entities("", text), "Angela Merkel")
