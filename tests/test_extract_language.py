"""Language detection: the fast ranking gives py3langid's answers, label for label and score for score."""

from __future__ import annotations

import csv
import gzip
import html
import json
import random
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import py3langid
import pytest

from storyline.extract import language
from storyline.extract.language import _GLANCE_CHARS, _SAMPLE_CHARS, detect_language
from storyline.parse.decode import decode_text
from tests.conftest import CORPORA

TEST_DATA = Path(__file__).parent / "data"
Rank = Callable[[str], list[tuple[str, float]]]


def reference(text: str, hint: str | None = None, rank: Rank = py3langid.rank) -> str | None:
    """detect_language as it was, on py3langid's public rank (which reads its first five entries)."""
    sample = text[: language._SAMPLE_CHARS]
    if language._ENOUGH_LETTERS.match(sample) is None:
        return hint
    if len(sample) > language._GLANCE_CHARS:
        (best, best_score), (_, second_score), *_ = rank(sample[: language._GLANCE_CHARS])
        if best_score - second_score >= language._GLANCE_MARGIN:
            return str(best)
    ranked = rank(sample)
    best, best_score = ranked[0]
    if hint and hint != best:
        for code, score in ranked[1:5]:
            if code == hint and best_score - score < 5.0:
                return hint
    return str(best)


# ---- a varied corpus: news in English, pages and feeds in other languages, hostile strings -----

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
# Lengths around the thresholds: too short, under a glance, a glance, a sample, longer.
_LENGTHS = (12, 40, 90, 149, 150, 151, 230, 420, 599, 600, 601, 1500)


def _news() -> Iterator[str]:
    csv.field_size_limit(1 << 26)
    for path in sorted((CORPORA / "news" / "wikinews").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            yield from (row["text"] for row in csv.DictReader(f))
    for name in ("ecbplus.jsonl", "gvc-train-dev.jsonl"):
        with (CORPORA / "clustering" / name).open(encoding="utf-8") as f:
            yield from (json.loads(line)["text"] for line in f if line.strip())


def _markup_text(data: bytes, origin: str) -> str:
    try:
        text = decode_text(data, origin, html=True)
    except Exception:
        text = data.decode("latin-1")
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", text))).strip()


def _pages_and_feeds() -> Iterator[str]:
    """Feeds (German, Portuguese, Korean, Japanese, Russian, Chinese...), web pages, article bodies."""
    feeds = CORPORA / "feeds"
    for path in sorted([*(feeds / "rss-parser-realworld" / "input").iterdir(), *(feeds / "feedparser").rglob("*.xml")]):
        if path.is_file():
            yield _markup_text(path.read_bytes(), str(path))
    for path in sorted(TEST_DATA.rglob("*")):
        if path.is_file() and path.suffix in {".html", ".xhtml", ".txt", ".rss", ".xml", ".jsonl", ".json"}:
            yield _markup_text(path.read_bytes(), str(path))
    benchmark = CORPORA / "extraction" / "scrapinghub-dev"
    truth = json.loads((benchmark / "ground-truth.json").read_text(encoding="utf-8"))
    yield from (page["articleBody"] for page in truth.values() if page.get("articleBody"))
    for path in sorted((benchmark / "html").glob("*.gz")):
        yield _markup_text(gzip.decompress(path.read_bytes()), str(path))


def _hostile() -> list[str]:
    english = (
        "The harbour board met on Tuesday and agreed to dredge the channel before the autumn storms, "
        "after pilots warned that larger ships could run aground at low tide. "
    )
    return [
        "",
        " \n\t ",
        "0123456789 " * 80,  # digits only: no language, the hint
        "12:45, 3.5%, +7 (2024) — #42 … " * 30,
        english.upper() * 3,  # all caps: py3langid lowers it
        english.upper()[:140] + english,  # caps in the glance only
        "\ud800\udfff lone surrogates \udc80 in a sentence \ud83d about the harbour " * 20,
        "\ud800" * 700,
        "".join(chr(i) for i in range(32)) * 5 + english * 4,  # control characters
        "\x00" * 300 + english * 4,
        english.replace(" ", "\x00") * 4,
        "\u0130stanbul " * 80,  # İ: lower() makes two characters of it
        "e\u0301t\u0301e\u0301 " * 150,  # combining accents: NFC composes them
        "\ufb2c\ufb2d " * 300,  # NFC decomposes these: more bytes than characters
        "\U0001d518\U0001d51e\U0001d52f" * 250,  # letters of four bytes each
        "\ue000\U0010fffd\ufffe " * 200,  # private use, noncharacters
        "😀 🚀 the harbour board 🎉 " * 40,
        "ab" * 2_500_000,  # 5 MB
        (english * 40_000)[:5_000_000],  # 5 MB of prose
        "x" + "\u200b" * 5_000_000,  # 5 MB of zero-width spaces after one letter
        "Der Hafenrat hat am Dienstag beschlossen, die Fahrrinne vor den Herbststürmen auszubaggern. " * 8,
        "O conselho do porto decidiu na terça-feira dragar o canal antes das tempestades de outono. " * 8,
        "항만 위원회는 화요일에 가을 폭풍 전에 수로를 준설하기로 합의했다. " * 12,
        "港湾委員会は火曜日、秋の嵐の前に水路を浚渫することで合意した。" * 12,
        "Совет порта во вторник решил углубить фарватер до осенних штормов. " * 8,
    ]


def _random_texts(rng: random.Random, count: int) -> list[str]:
    """Fuzz: characters from many scripts and classes, surrogates included."""
    ranges = [
        (0x20, 0x7F),
        (0x80, 0x24F),
        (0x370, 0x52F),
        (0x590, 0x6FF),
        (0x900, 0x97F),
        (0xE00, 0xE7F),
        (0x3040, 0x30FF),
        (0x4E00, 0x4FFF),
        (0xAC00, 0xAD00),
        (0xD800, 0xDFFF),
        (0x1F300, 0x1F6FF),
        (0x0, 0x20),
        (0x10000, 0x10FFFF),
    ]
    texts = []
    for _ in range(count):
        picked = rng.sample(ranges, rng.randint(1, 3))
        length = rng.choice((30, 150, 151, 400, 700))
        texts.append("".join(chr(rng.randint(*rng.choice(picked))) for _ in range(length)))
    return texts


@pytest.fixture(scope="module")
def samples() -> list[str]:
    if not (CORPORA / "news" / "wikinews").is_dir():
        pytest.fail(f"the news corpora are missing at {CORPORA} (data/corpora in the repository)")
    rng = random.Random(20240611)
    windows = []
    for text in _news():  # two windows of each news text, at its start and anywhere
        windows.append(text[: rng.choice(_LENGTHS)])
        start = rng.randrange(max(1, len(text) - 100))
        windows.append(text[start : start + rng.choice(_LENGTHS)])
    for text in _pages_and_feeds():  # pages are long: windows all along them
        for start in range(0, min(len(text), 12_000), 1_000):
            windows.append(text[start + rng.randrange(200) :][: rng.choice(_LENGTHS)])
    caps = [text.upper() for text in rng.sample(windows, 200)]
    return windows + caps + _hostile() + _random_texts(rng, 300)


def _top5(cache: dict[str, list[tuple[str, float]]]) -> Rank:
    def rank(text: str) -> list[tuple[str, float]]:
        if text not in cache:
            cache[text] = py3langid.rank(text)[:5]  # the reference reads no further
        return cache[text]

    return rank


# ---- equality with py3langid ------------------------------------------------------------------


def test_the_fast_ranking_is_in_use() -> None:
    """With py3langid 0.4 installed; were it not (another layout), py3langid's rank would serve."""
    assert isinstance(language._ranker(), language._FastRanker)


def test_answers_and_rankings_equal_py3langids(samples: list[str]) -> None:
    assert len(samples) > 5_000
    rank = language._ranker()
    wrong_ranks: list[tuple[str, int]] = []
    wrong_answers: list[tuple[str, str | None, str | None, str | None]] = []
    decided_at_glance = hint_won = 0
    for text in samples:
        cache: dict[str, list[tuple[str, float]]] = {}
        reference_rank = _top5(cache)
        sample = text[:_SAMPLE_CHARS]
        for piece in {sample[:_GLANCE_CHARS], sample}:
            expected = reference_rank(piece)
            for k in (2, 5):
                if rank(piece, k) != expected[:k]:
                    wrong_ranks.append((piece[:80], k))
        answer = reference(text, None, reference_rank)
        # Hints: none, the same language, the runner-up (the closest other), another, nonsense.
        hints = [None, answer, reference_rank(sample)[1][0], "pt", "xx-nonsense"]
        for hint in hints:
            expected_answer = reference(text, hint, reference_rank)
            got = detect_language(text, hint)
            if got != expected_answer:
                wrong_answers.append((text[:80], hint, got, expected_answer))
            if answer is not None and hint and expected_answer == hint != answer:
                hint_won += 1  # a near-tie the hint broke
        glance = sample[:_GLANCE_CHARS]
        if len(sample) > _GLANCE_CHARS and language._ENOUGH_LETTERS.match(sample):
            (_, first), (_, second) = reference_rank(glance)[:2]
            decided_at_glance += first - second >= language._GLANCE_MARGIN
    assert wrong_ranks == []
    assert wrong_answers == []
    assert decided_at_glance > 2_000  # both paths are exercised...
    assert hint_won > 10  # ...and so is the hint's tie-break


def test_whole_rankings_equal_py3langids_equal_scores_included(samples: list[str]) -> None:
    rank = language._ranker()
    pieces = [text[:length] for text in random.Random(7).sample(samples, 150) for length in (150, 600)]
    pieces += ["", "12345", "\x00\x01", "!!!", "\ud800", "a"]  # few or no features: scores tie
    for piece in pieces:
        assert rank(piece, 1_000) == py3langid.rank(piece)


def test_hostile_inputs_do_not_crash_and_give_py3langids_answers() -> None:
    for text in _hostile():
        for hint in (None, "", "en", "xx"):
            assert detect_language(text, hint) == reference(text, hint), repr(text[:60])


def test_every_walk_is_exercised_and_exact(samples: list[str]) -> None:
    """The 5-byte windows, the 6-byte ones where a deep state needs them, and py3langid's own walk."""
    rank = language._ranker()
    assert isinstance(rank, language._FastRanker)
    glances = [rank._encode(text[:_GLANCE_CHARS]) for text in samples]
    assert any(data and rank._states(data, 5) is None for data in glances)  # some need 6 bytes
    assert all(rank._states(data, 6) is not None for data in glances if data)
    long_text = " ".join(samples[:400])[:20_000]  # more bytes than the windows take: the Python walk
    assert len(long_text.encode()) > len(rank._keys)
    assert rank(long_text, 5) == py3langid.rank(long_text)[:5]
    # Between calls the scratch counters are back to zero.
    first, count = rank._scratch.arrays
    assert not count.any()
    assert first[:-1].max() == 0


# ---- when py3langid's identifier changes, or its internals are not 0.4's ------------------------


@pytest.fixture
def fresh_ranker() -> Iterator[None]:
    language._current = None
    yield
    language._current = None


def test_restricted_languages_are_followed(samples: list[str], fresh_ranker: None) -> None:
    texts = samples[:300]
    py3langid.set_languages(["en", "de", "fr", "es", "pt"])
    try:
        assert [detect_language(t, "pt") for t in texts] == [reference(t, "pt") for t in texts]
    finally:
        py3langid.set_languages(None)
    assert [detect_language(t) for t in texts] == [reference(t) for t in texts]


class _OpaqueIdentifier:
    """An identifier that ranks but shows none of py3langid 0.4's internals."""

    def __init__(self, identifier: object) -> None:
        self._identifier = identifier

    def rank(self, text: str) -> list[tuple[str, float]]:
        return self._identifier.rank(text)  # type: ignore[attr-defined]


@pytest.mark.usefixtures("fresh_ranker")
def test_other_internals_fall_back_to_the_public_rank(samples: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    texts = samples[:200]
    monkeypatch.setattr(py3langid.langid, "IDENTIFIER", _OpaqueIdentifier(py3langid.langid._get_identifier()))
    assert isinstance(language._ranker(), language._PublicRank)
    assert [detect_language(t, "de") for t in texts] == [reference(t, "de") for t in texts]
    monkeypatch.undo()
    language._current = None
    monkeypatch.delattr(py3langid, "langid")  # no module of that name: another layout altogether
    assert isinstance(language._ranker(), language._PublicRank)
    assert [detect_language(t) for t in texts] == [reference(t) for t in texts]


@pytest.mark.usefixtures("fresh_ranker")
def test_threads_converting_rows_at_once_get_py3langids_answers(samples: list[str]) -> None:
    texts = random.Random(3).sample(samples, 800)
    expected = [reference(t) for t in texts]
    language._ranker()  # a new, empty table of rows: the threads fill it together
    results: dict[int, list[str | None]] = {}

    def work(index: int) -> None:
        results[index] = [detect_language(t) for t in texts]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(results[i] == expected for i in range(4))
