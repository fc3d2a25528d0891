"""How good story summaries are, on events several outlets reported: held-out leads as references.

No reference summaries of multi-outlet news come with a licence we can ship, so the
references are made from the corpora we hold, by a rule that never looks at a summary: for
each event with at least ``MIN_REPORTS`` reports, one report is held out (the one whose id
hashes lowest) and its lead — its first sentences, up to ``REFERENCE_WORDS`` words — is the
reference: a journalist's own account of the event in a few sentences. The other reports
(minus any copy of the held-out one) are summarised to ``REFERENCE_WORDS`` words by
``storyline summarize``'s code (``ingest.batch.summarize_records``), and scored with ROUGE-1
and ROUGE-2 F1 (Google's ``rouge-score``, Porter stemming), the usual measures of news
summaries.

The same cases give two baselines, scored beside: **lead**, the first ``REFERENCE_WORDS``
words of the earliest input report (in news, a strong one), and **random**, sentences drawn
at random (seeded) from the inputs. Corpora: the gun-violence pool (events are incidents,
split by ``splits.incident_split``) and ECB+ (events are sub-topics, split by topic).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from statistics import mean

from storyline.evaluate.splits import Part, ecbplus_part, incident_split
from storyline.ingest.batch import Record, summarize_records
from storyline.normalize import clean_text
from storyline.summarize import split_sentences

__all__ = ["BASELINES", "REFERENCE_WORDS", "SummaryCase", "SummaryScores", "baseline_summaries", "load_cases",
           "score_summaries", "storyline_summaries"]

MIN_REPORTS = 3
REFERENCE_WORDS = 60
# Inputs sharing this share of sentences with the held-out report are its copies: left out.
_COPY = 0.3


@dataclass(frozen=True, slots=True)
class SummaryCase:
    """One event: the reports to summarise and the held-out report's lead to compare with."""

    event: str
    reference: str
    inputs: tuple[Record, ...]


@dataclass(frozen=True, slots=True)
class SummaryScores:
    """Mean ROUGE F1 over the cases."""

    rouge1: float
    rouge2: float
    cases: int
    rougeL: float = 0.0


def _rank(doc_id: str) -> bytes:
    return hashlib.blake2b(f"summary-reference:{doc_id}".encode(), digest_size=8).digest()


def lead(text: str, words: int) -> str:
    """The first sentences of ``text`` up to ``words`` words (the last one cut at the limit)."""
    taken: list[str] = []
    for sentence in split_sentences(clean_text(text)):
        taken.extend(sentence.text.split())
        if len(taken) >= words:
            break
    return " ".join(taken[:words])


def _date(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _cases(events: dict[str, list[dict]], corpus: str, words: int) -> list[SummaryCase]:
    cases = []
    for event, reports in sorted(events.items()):
        if len(reports) < MIN_REPORTS:
            continue
        held = min(reports, key=lambda r: _rank(r["id"]))
        held_sentences = {s.text for s in split_sentences(clean_text(held["text"]))}
        inputs = []
        for report in reports:
            if report is held:
                continue
            sentences = {s.text for s in split_sentences(clean_text(report["text"]))}
            if held_sentences and len(sentences & held_sentences) / max(1, min(len(sentences), len(held_sentences))) \
                    >= _COPY:
                continue
            title = report.get("title") or report.get("title_guess") or ""
            inputs.append(Record(report["id"], title, report["text"], _date(report.get("date")), None,
                                 report.get("source")))
        reference = lead(held["text"], words)
        if len(inputs) >= MIN_REPORTS - 1 and len(reference.split()) >= words // 2:
            cases.append(SummaryCase(f"{corpus}:{event}", reference, tuple(inputs)))
    return cases


def load_cases(corpora: Path, part: Part, words: int = REFERENCE_WORDS) -> list[SummaryCase]:
    """The cases of ``part`` from the gun-violence pool and ECB+ under ``corpora`` (``data/corpora/clustering``).

    References are the held-out report's first ``words`` words (a case whose held-out report
    has fewer than half that is left out).
    """
    pool, gvc, ecb = corpora / "gva-pool-train.jsonl", corpora / "gvc-train-dev.jsonl", corpora / "ecbplus.jsonl"
    split = incident_split(gvc, pool)
    incidents: dict[str, list[dict]] = {}
    for line in pool.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if split.part(str(record["incident_id"])) == part and record.get("text"):
            incidents.setdefault(str(record["incident_id"]), []).append({**record, "id": record["doc_id"]})
    subtopics: dict[str, list[dict]] = {}
    for line in ecb.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if ecbplus_part(record["topic"]) == part and record.get("text"):
            subtopics.setdefault(str(record["subtopic"]), []).append({**record, "id": record["doc_id"]})
    return _cases(incidents, "gva", words) + _cases(subtopics, "ecb", words)


def storyline_summaries(cases: Sequence[SummaryCase], words: int = REFERENCE_WORDS) -> list[str]:
    """Storyline's summary of each case, ``words`` long, as ``storyline summarize --max-words`` makes it."""
    stories = {case.event: list(case.inputs) for case in cases}
    made = {}
    for result in summarize_records(stories, max_words=words):
        if isinstance(result, tuple):
            story, summary = result
            made[story] = " ".join(s.text for s in summary)
    return [made.get(case.event, "") for case in cases]


BASELINES = ("lead", "lead3", "lexrank", "textrank", "random")


def baseline_summaries(cases: Sequence[SummaryCase], kind: str, words: int = REFERENCE_WORDS,
                       seed: int = 7) -> list[str]:
    """A baseline's summary of each case, ``words`` long.

    ``lead``: the earliest input's first words. ``lead3``: the first three sentences of each
    input, earliest input first. ``lexrank`` / ``textrank``: sumy's, over the same sentences
    (Storyline's splitter, sumy's English stemmer and stop words), best-rated first. ``random``:
    input sentences in a seeded random order. Whole sentences fill the budget best first, one
    that does not fit skipped, as Storyline's summary fills it.
    """
    if kind not in BASELINES:
        raise ValueError(f"unknown baseline {kind!r}")
    rng = random.Random(seed)
    out = []
    for case in cases:
        ordered = sorted(case.inputs, key=lambda r: (r.published or datetime.max, r.doc_id))
        sentences = [[s.text for s in split_sentences(clean_text(r.text))] for r in ordered]
        if kind == "lead":
            out.append(lead(ordered[0].text, words) if ordered else "")
            continue
        if kind == "lead3":
            ranked = [text for texts in sentences for text in texts[:3]]
        elif kind == "random":
            ranked = [text for texts in sentences for text in texts]
            rng.shuffle(ranked)
        else:
            ranked = _sumy_ranked([text for texts in sentences for text in texts], kind)
        out.append(_fill(ranked, words))
    return out


def _fill(ranked: Sequence[str], words: int) -> str:
    taken: list[str] = []
    count = 0
    for sentence in ranked:
        length = len(sentence.split())
        if count + length > words:
            continue
        taken.append(sentence)
        count += length
    return " ".join(taken)


class _Words:
    """sumy's tokenizer interface over a plain word pattern (sumy's own needs NLTK data downloaded)."""

    def to_words(self, text: str) -> list[str]:
        return re.findall(r"[\w'’-]+", text)


def _sumy_ranked(sentences: Sequence[str], kind: str) -> list[str]:
    """``sentences`` best first by sumy's LexRank or TextRank (each text once)."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence  # dev dependency: the gate's peers
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    unique = list(dict.fromkeys(sentences))
    if not unique:
        return []
    tokenizer = _Words()
    document = ObjectDocumentModel([Paragraph([Sentence(text, tokenizer) for text in unique])])
    summarizer = (LexRankSummarizer if kind == "lexrank" else TextRankSummarizer)(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    ranked: list[str] = []

    def keep_order(infos: list) -> list:  # sumy hands the sentences best first; keep that order
        ranked.extend(str(info.sentence) for info in infos)
        return infos

    summarizer(document, keep_order)
    return ranked


def score_summaries(cases: Sequence[SummaryCase], summaries: Iterable[str]) -> SummaryScores:
    """Mean ROUGE-1, ROUGE-2 and ROUGE-L F1 of ``summaries`` against the cases' references (stemmed)."""
    from rouge_score import rouge_scorer  # a dev dependency: the gates and scripts use it, users do not

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    ones, twos, longest = [], [], []
    for case, summary in zip(cases, summaries, strict=True):
        scores = scorer.score(case.reference, summary)
        ones.append(scores["rouge1"].fmeasure)
        twos.append(scores["rouge2"].fmeasure)
        longest.append(scores["rougeL"].fmeasure)
    return SummaryScores(mean(ones) if ones else 0.0, mean(twos) if twos else 0.0, len(ones),
                         mean(longest) if longest else 0.0)
