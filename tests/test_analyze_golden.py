"""Golden tests on the seed page: who said what, one Zelenskyy however he is spelled, cited summaries.

``storyline analyze --json`` is run as a user runs it (the real console script) on the seed
page (``data/corpora/news/seed/aggregator-page.txt``, four articles). The expected speakers were
written from reading the page.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from storyline.app import Storyline, analyze_paths
from storyline.entities import find_entities
from tests.conftest import CORPORA
from tests.test_extract_cli import SCRIPT, clean_env

SEED = CORPORA / "news" / "seed" / "aggregator-page.txt"

# (article: 0 the page's own, then its related articles; the quote's opening words; its speaker)
EXPECTED_QUOTES = [
    (0, "At the suggestion of the American side", "Yuri Ushakov"),
    (0, "We are now starting to work out the details", "Yuri Ushakov"),
    (0, "Next week has been set as a target date", "Yuri Ushakov"),
    (0, "The Russian side left this option completely", "Yuri Ushakov"),
    (0, "It is necessary to determine the timing", "Volodymyr Zelenskyy"),
    (0, "The war is happening in Europe", "Volodymyr Zelenskyy"),
    (0, "Today, security advisors will hold", "Volodymyr Zelenskyy"),
    (0, "Ukraine is not afraid of meetings", "Volodymyr Zelenskyy"),
    (1, "I'm going to make our Capital safer", "Donald Trump"),
    (1, "The Homeless have to move out", "Donald Trump"),
    (1, "It's all going to happen very fast", "Donald Trump"),
    (1, "We are not experiencing a crime spike", "Muriel Bowser"),
    (1, "any comparison to a war torn country", "Muriel Bowser"),
    (2, "President Trump is right that Russia", "Kaja Kallas"),
    (2, "I will convene an extraordinary meeting", "Kaja Kallas"),
    (2, "putting pressure on Putin", "Mark Rutte"),
    (2, "Next Friday will be important", "Mark Rutte"),
    (2, "As we work towards a sustainable", "Kaja Kallas"),
    (2, "Russia is controlling some of Ukrainian territory", "Mark Rutte"),
    (2, "When it comes to acknowledging", "Mark Rutte"),
    (3, "It's a long time", "Donald Trump"),
]


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    home = tmp_path_factory.mktemp("analyze-home")
    result = subprocess.run([str(SCRIPT), "--home", str(home), "analyze", str(SEED), "--json"], capture_output=True,
                            text=True, env=clean_env(), timeout=120, check=False, cwd=home)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_analyze_prints_one_object_per_article_with_entities_and_quotes(analysed: list[dict[str, Any]]) -> None:
    assert len(analysed) == 4  # the page's article and its three related ones
    for record in analysed:
        assert set(record) == {"input", "title", "entities", "quotes", "key_points", "summary"}
        assert len(record["key_points"]) == 3
        assert 3 <= len(record["summary"]) <= 6
        for sentence in record["key_points"] + record["summary"]:
            assert sentence["cites"][0]["id"] == record["input"]
            assert sentence["cites"][0]["sentence"] == sentence["sentence"]
        for entity in record["entities"]:
            assert {"name", "type", "aliases", "mentions"} <= set(entity)
            assert entity["type"] in {"person", "organization", "place", "other"}
        for quote in record["quotes"]:
            assert set(quote) == {"text", "speaker", "speaker_as_written"}


@pytest.mark.parametrize(("article", "opening", "speaker"), EXPECTED_QUOTES)
def test_each_quote_is_attributed_to_its_speaker(analysed: list[dict[str, Any]], article: int, opening: str,
                                                 speaker: str) -> None:
    quotes = [q for q in analysed[article]["quotes"] if q["text"].startswith(opening)]
    assert len(quotes) == 1, [q["text"][:40] for q in analysed[article]["quotes"]]
    assert quotes[0]["speaker"] == speaker


def test_the_speakers_are_typed_people(analysed: list[dict[str, Any]]) -> None:
    people = {e["name"] for record in analysed for e in record["entities"] if e["type"] == "person"}
    assert {speaker for _, _, speaker in EXPECTED_QUOTES} <= people
    kremlin = [e for e in analysed[0]["entities"] if e["name"] == "Kremlin"]
    assert kremlin == [{"name": "Kremlin", "type": "organization", "aliases": [], "mentions": 5, "tied_to": "Russia"}]


def test_zelenskiy_and_zelenskyy_are_one_person_on_the_page() -> None:
    """The page spells him both ways (its teaser line "Zelenskiy says ..." and the articles)."""
    found = find_entities("", SEED.read_text(encoding="utf-8"))
    holding = [e for e in found if {"Zelenskiy", "Zelenskyy"} & {e.name, *e.aliases}]
    assert len(holding) == 1
    assert holding[0].name == "Volodymyr Zelenskyy"
    assert {"Zelenskiy", "Zelenskyy"} <= set(holding[0].aliases)


def test_zelenskiy_and_zelenskyy_are_one_entity_across_stored_articles(app: Storyline, tmp_path: Path) -> None:
    """Imported, the page's articles and a report spelling him "Zelenskiy" name one archive entity."""
    record = {"id": "teaser", "title": "Zelenskiy says Russia seems more inclined now to a ceasefire",
              "text": "Ukraine's president said on Thursday that Russia seemed more inclined to a ceasefire. "
                      "Zelenskiy spoke after a call with European leaders."}
    records = tmp_path / "teaser.jsonl"
    records.write_text(json.dumps(record) + "\n", encoding="utf-8")
    report = app.import_paths([SEED, records])
    assert report.inserted == 5
    assert not report.failures
    ids = set()
    for article in app.store.latest_articles(limit=10):
        ids |= {e.id for e in app.store.article_entities(article.id) if "Zelensk" in e.name}
    assert len(ids) == 1
    zelenskyy = app.store.get_entity(ids.pop())
    assert zelenskyy is not None
    assert zelenskyy.name == "Volodymyr Zelenskyy"
    assert {"Zelenskiy", "Zelenskyy"} <= set(zelenskyy.aliases) | {zelenskyy.name}


def test_every_summary_sentence_and_key_point_is_a_sentence_of_its_article() -> None:
    checked = 0
    for result in analyze_paths([SEED]):
        assert not isinstance(result, Exception), result
        origin, _, article, summary = result
        for sentence in (*article.key_points, *summary):
            own = sentence.cites[0]
            assert own.article == origin
            assert article.text[own.start:own.end] == own.text == sentence.text
            checked += 1
    assert checked >= 4 * (3 + 3)


def test_every_sentence_of_a_stored_story_summary_cites_a_sentence_of_its_articles(app: Storyline) -> None:
    report = app.import_paths([SEED])
    assert report.inserted == 4
    stories = set(app.store.stories_of([a.id for a in app.store.latest_articles(limit=10)]).values())
    cited = 0
    for story_id in stories:
        view = app.story(story_id)
        assert view is not None
        assert view.summary is not None
        assert view.summary.sentences
        texts = {a.id: a.text for a in view.timeline}
        for sentence in view.summary.sentences:
            for cite in sentence.cites:
                assert texts[cite.article][cite.start:cite.end] == cite.text
            assert sentence.cites[0].text == sentence.text
            cited += 1
        for entry in view.summary.timeline:
            for sentence in entry.added:
                assert texts[sentence.cites[0].article][sentence.cites[0].start:sentence.cites[0].end] == sentence.text
    assert cited >= 3 * len(stories)
