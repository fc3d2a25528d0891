"""The ask gate: hand-written questions about stories of the gun-violence pool (``data/quality/ask.jsonl``).

Each record names its story (``gva:<incident>``: every pool report of that incident), the question,
whether the story's articles answer it, and the answers: words a sentence that answers it holds
(any of them, case aside). Written by reading the stories; unanswerable questions ask what the
articles do not say, in the story's own words ("What kind of gun did Hall use?").

Metrics: an answer is **right** when it is known and one of its sentences holds an answer;
**precision** = right / known answers (an "answer" to an unanswerable question, or a wrong
sentence, counts against it); **recall** = right / answerable questions; **abstention** = "I don't
know" answers to unanswerable questions / unanswerable questions. Also, of "answerable" alone
(known or "I don't know", whatever the sentences): ``known_precision`` = known answers to answerable
questions / known answers, ``known_recall`` = the same / answerable questions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from storyline.evaluate.splits import Part, ask_part
from storyline.summarize.ask import CONTEXT, MIN_COVERAGE, OFF_TYPE, answer, story_sentences
from storyline.summarize.matrix import Report
from storyline.summarize.terms import Vocabulary, analyse
from storyline.types import Citation

__all__ = ["AskScore", "Question", "load_questions", "load_stories", "score_answers"]


@dataclass(frozen=True, slots=True)
class Question:
    story: str
    question: str
    answerable: bool
    answers: tuple[str, ...]

    @property
    def part(self) -> Part:
        return ask_part(self.story)


@dataclass(frozen=True, slots=True)
class AskScore:
    precision: float
    recall: float
    right: int
    known: int
    answerable: int
    known_answerable: int
    unanswerable: int
    abstained: int  # unanswerable questions answered "I don't know"
    wrong: tuple[str, ...]  # questions answered wrongly or missed, for reading

    @property
    def abstention(self) -> float:
        return self.abstained / self.unanswerable if self.unanswerable else 1.0

    @property
    def known_precision(self) -> float:
        return self.known_answerable / self.known if self.known else 1.0

    @property
    def known_recall(self) -> float:
        return self.known_answerable / self.answerable if self.answerable else 1.0

    def __str__(self) -> str:
        return (f"P={self.precision:.4f} R={self.recall:.4f} (right {self.right}, known {self.known}, "
                f"answerable {self.answerable}); abstention={self.abstention:.4f} ({self.abstained} of "
                f"{self.unanswerable}); answerable P={self.known_precision:.4f} R={self.known_recall:.4f}")


def load_questions(path: Path) -> list[Question]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [Question(r["story"], r["question"], bool(r["answerable"]), tuple(r["answers"])) for r in rows]


def load_stories(stories: Sequence[str], pool: Path) -> dict[str, list[Citation]]:
    """The sentences of each story (``gva:<incident>``), from every pool report of the incident."""
    wanted = {s.removeprefix("gva:") for s in stories}
    vocabulary = Vocabulary()
    reports: dict[str, list[Report]] = {}
    for line in pool.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["incident_id"] in wanted:
            reports.setdefault(f"gva:{record['incident_id']}", []).append(
                Report(record["doc_id"], None, analyse(record["text"], vocabulary)))
    return {story: story_sentences(found) for story, found in reports.items()}


def score_answers(questions: Sequence[Question], stories: Mapping[str, Sequence[Citation]], *,
                  min_coverage: float = MIN_COVERAGE, off_type: float = OFF_TYPE, context: float = CONTEXT
                  ) -> AskScore:
    right = known = known_answerable = abstained = 0
    wrong = []
    for q in questions:
        given = answer(q.question, stories[q.story], min_coverage=min_coverage, off_type=off_type, context=context)
        known += given.known
        known_answerable += given.known and q.answerable
        abstained += not given.known and not q.answerable
        hit = given.known and q.answerable and any(
            a.lower() in s.text.lower() for s in given.sentences for a in q.answers)
        right += hit
        if given.known != q.answerable or (given.known and not hit):
            wrong.append(q.question)
    answerable = sum(q.answerable for q in questions)
    return AskScore(right / known if known else 1.0, right / answerable if answerable else 1.0, right, known,
                    answerable, known_answerable, len(questions) - answerable, abstained, tuple(wrong))
