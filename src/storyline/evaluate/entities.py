"""The entities gate: GUM's news documents read into text and gold mentions, and the two metrics.

Corpus: ``data/corpora/entities/gum-news/dep/*.conllu`` (GUM's CoNLL-U, entity annotation in
MISC ``Entity=``: every mention, named or not, with its type, its chain id in the document, its
minimal span and a Wikipedia identity). The text is rebuilt from the tokens (``SpaceAfter=No``
respected, a blank line between paragraphs) so that a character offset names a token.

What counts, and how (said once, here):

- **A named mention** is a mention whose syntactic head is a proper noun (xpos NNP/NNPS) and
  whose type is person, organization or place ("the country" and "critics of Donald Trump" are
  not; "Russia", "the Kremlin" and "US President Donald Trump" are).
- **Typed mention precision/recall** (mention-level): a predicted mention matches a gold named
  mention when it lies inside the gold mention's span and overlaps its minimal span ("Donald
  Trump" matches GUM's "US President Donald Trump"; the nested "US" is a mention of its own),
  and the types are equal; one-to-one. Precision: matched predicted / predicted person,
  organization and place mentions; recall: matched gold / gold named mentions.
- **Alias merging** (pairwise over mentions, within a document): over pairs of gold named
  mentions that were both matched, a pair is gold-merged when the two are in one GUM chain and
  predicted-merged when the analysis put them in one entity. Precision: pairs merged in both /
  predicted-merged pairs; recall: pairs merged in both / gold-merged pairs. Detection errors
  are the other metric's: only found mentions are paired.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from storyline.entities import analyse

__all__ = [
    "GoldMention",
    "GumDocument",
    "MentionScore",
    "MergeScore",
    "PredictedMention",
    "load_gum",
    "predict",
    "score_mentions",
    "score_merging",
]

NAMED_TYPES = frozenset({"person", "organization", "place"})
_PROPER = frozenset({"NNP", "NNPS"})
_OPEN = re.compile(r"\((\d+)-([a-z]+)-([^()]*)")


@dataclass(frozen=True, slots=True)
class GoldMention:
    """One mention GUM annotates: character spans of the whole mention and of its minimal span."""

    start: int
    end: int
    min_start: int
    min_end: int
    type: str  # GUM's: person, organization, place, event, object, abstract, time, ...
    chain: str  # the entity id within its document
    named: bool
    identity: str | None  # Wikipedia title, when GUM links it


@dataclass(frozen=True, slots=True)
class GumDocument:
    name: str
    title: str
    text: str
    mentions: tuple[GoldMention, ...]

    @property
    def named(self) -> list[GoldMention]:
        return [m for m in self.mentions if m.named]


@dataclass(frozen=True, slots=True)
class PredictedMention:
    """A mention the analysis found: its character span, its type and the entity it was merged into."""

    start: int
    end: int
    type: str
    entity: str


@dataclass(frozen=True, slots=True)
class MentionScore:
    true_positives: int
    predicted: int
    gold: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.gold if self.gold else 1.0


@dataclass(frozen=True, slots=True)
class MergeScore:
    both: int
    predicted_pairs: int
    gold_pairs: int

    @property
    def precision(self) -> float:
        return self.both / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.both / self.gold_pairs if self.gold_pairs else 1.0


def load_gum(folder: Path) -> list[GumDocument]:
    """Every ``*.conllu`` document of ``folder``, sorted by name."""
    return [_read_document(path) for path in sorted(folder.glob("*.conllu"))]


def _read_document(path: Path) -> GumDocument:
    parts: list[str] = []
    offset = 0
    title = ""
    open_mentions: dict[str, list[dict]] = {}
    mentions: list[GoldMention] = []
    tokens: list[tuple[int, int, str]] = []  # (start, end, xpos) of the document's tokens
    heads: list[int] = []  # each token's syntactic head, as an index into ``tokens`` (-1: the root)
    sentence_start = 0
    separator = ""  # what goes before the next token: "", " " or a paragraph break
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# meta::title = "):
            title = line.removeprefix("# meta::title = ").strip()
        elif line.startswith("# newpar") and not line.startswith("# newpar_block") and parts:
            separator = "\n\n"
        if not line:
            sentence_start = len(tokens)
        if not line or line.startswith("#"):
            continue
        cols = line.split("\t")
        if "-" in cols[0] or "." in cols[0]:  # multiword tokens, empty nodes
            continue
        form, xpos, misc = cols[1], cols[4], cols[9]
        parts.append(separator)
        offset += len(separator)
        tokens.append((offset, offset + len(form), xpos))
        heads.append(sentence_start + int(cols[6]) - 1 if cols[6] not in ("0", "_") else -1)
        parts.append(form)
        offset += len(form)
        fields = dict(f.split("=", 1) for f in misc.split("|") if "=" in f)
        separator = "" if fields.get("SpaceAfter") == "No" else " "
        if "Entity" in fields:
            _read_entities(fields["Entity"], len(tokens) - 1, open_mentions, mentions, tokens, heads)
    return GumDocument(path.stem, title, "".join(parts), tuple(mentions))


def _read_entities(value: str, index: int, open_mentions: dict[str, list[dict]], mentions: list[GoldMention],
                   tokens: list[tuple[int, int, str]], heads: list[int]) -> None:
    """Open and close the mentions a token's ``Entity=`` value names (CorefUD bracket notation)."""
    pos = 0
    while pos < len(value):
        if value[pos] == "(":
            match = _OPEN.match(value, pos)
            if match is None:
                raise ValueError(f"unreadable Entity value {value!r}")
            chain, etype, rest = match.groups()
            fields = rest.split("-")
            # rest: infstat-salience-centering-minspan-link[-identity]
            minspan = [int(i) for i in fields[3].split(",")] if len(fields) > 3 and fields[3] else [1]
            identity = "-".join(fields[5:]) or None if len(fields) > 5 else None
            open_mentions.setdefault(chain, []).append(
                {"first": index, "type": etype, "minspan": minspan, "identity": identity})
            pos = match.end()
            if pos < len(value) and value[pos] == ")":
                _close(chain, index, open_mentions, mentions, tokens, heads)
                pos += 1
        else:
            match = re.compile(r"(\d+)\)").match(value, pos)
            if match is None:
                raise ValueError(f"unreadable Entity value {value!r}")
            _close(match.group(1), index, open_mentions, mentions, tokens, heads)
            pos = match.end()


def _close(chain: str, last: int, open_mentions: dict[str, list[dict]], mentions: list[GoldMention],
           tokens: list[tuple[int, int, str]], heads: list[int]) -> None:
    opened = open_mentions[chain].pop()
    first = opened["first"]
    minimal = [first + i - 1 for i in opened["minspan"] if first + i - 1 <= last] or [first]
    # The mention's head: its first token whose syntactic head lies outside the mention.
    head = next((i for i in range(first, last + 1) if not first <= heads[i] <= last), last)
    named = opened["type"] in NAMED_TYPES and tokens[head][2] in _PROPER
    mentions.append(GoldMention(tokens[first][0], tokens[last][1], tokens[min(minimal)][0], tokens[max(minimal)][1],
                                opened["type"], chain, named, opened["identity"]))


def _match(doc: GumDocument, predicted: Iterable[PredictedMention]) -> list[tuple[PredictedMention, GoldMention]]:
    """One-to-one matches of predicted person/organization/place mentions to gold named mentions."""
    gold = doc.named
    taken: set[int] = set()
    pairs = []
    for p in sorted(predicted, key=lambda m: (m.start, m.end)):
        if p.type not in NAMED_TYPES:
            continue
        candidates = [(i, g) for i, g in enumerate(gold) if i not in taken and g.start <= p.start and p.end <= g.end
                      and p.start < g.min_end and g.min_start < p.end]
        if not candidates:
            continue
        # Prefer the gold mention of the same type, then the tightest.
        i, g = min(candidates, key=lambda c: (c[1].type != p.type, c[1].end - c[1].start))
        taken.add(i)
        pairs.append((p, g))
    return pairs


def score_mentions(docs: Sequence[GumDocument], predictions: Sequence[Sequence[PredictedMention]]) -> MentionScore:
    """Typed named-mention precision and recall over ``docs`` (predictions in the same order)."""
    tp = predicted = gold = 0
    for doc, found in zip(docs, predictions, strict=True):
        pairs = _match(doc, found)
        tp += sum(1 for p, g in pairs if p.type == g.type)
        predicted += sum(1 for p in found if p.type in NAMED_TYPES)
        gold += len(doc.named)
    return MentionScore(tp, predicted, gold)


def score_merging(docs: Sequence[GumDocument], predictions: Sequence[Sequence[PredictedMention]]) -> MergeScore:
    """Pairwise alias-merging precision and recall over the matched named mentions of each document."""
    both = predicted_pairs = gold_pairs = 0
    for doc, found in zip(docs, predictions, strict=True):
        for (p1, g1), (p2, g2) in combinations(_match(doc, found), 2):
            same_gold = g1.chain == g2.chain
            same_predicted = p1.entity == p2.entity
            both += same_gold and same_predicted
            gold_pairs += same_gold
            predicted_pairs += same_predicted
    return MergeScore(both, predicted_pairs, gold_pairs)


def predict(doc: GumDocument) -> list[PredictedMention]:
    """The entities stage's mentions of one GUM document, typed and merged as the stage does it.

    GUM's text opens with the headline: it is given to the stage as the title (``analyse``, what
    ``entities.tag_entities`` runs), the rest as the text.
    """
    title, _, body = doc.text.partition("\n\n")
    analysis = analyse(title, body)
    if analysis.document != doc.text[:len(analysis.document)]:
        raise ValueError(f"{doc.name}: the stage's text does not line up with the document's")
    return [PredictedMention(m.start, m.end, analysis.cluster_of(m).type.value, str(m.entity))
            for m in analysis.mentions]
