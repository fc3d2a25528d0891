# ruff: noqa: E501 - the hand-written labels and paraphrases read better one to a line
"""Build ``data/quality/support.jsonl``: generated-looking sentences and the sentences they cite, labelled.

Run from the repository root: ``python scripts/build_support_set.py`` (no randomness: rebuilding gives
the same bytes). Three kinds of records, described in ``data/quality/SOURCE.md``:

- ``natural``: for incidents of the gun-violence pool that two outlets reported, the sentence of the
  first outlet's report most like one of the second's (cosine of content words 0.3-0.9), cited with
  the second's best one or two sentences; labelled by reading (``LABELS``: supported only when the
  cited sentences state everything the sentence says, names of speakers and times included);
- ``paraphrase``: a sentence written by us, saying only what a natural record's cited sentences say,
  as an LLM's summary would (``PARAPHRASES``); all supported;
- made unsupported from the supported ones: a number changed (``number``), a name replaced by one of
  another incident (``name``), a negation added (``negation``), a claim added (``claim``), or the
  sentence of another incident cited with these sentences (``other``).
"""

from __future__ import annotations

import collections
import hashlib
import json
import math
import re
from pathlib import Path

from storyline.summarize.sentences import split_sentences, usable
from storyline.summarize.terms import content_terms, names

ROOT = Path(__file__).resolve().parents[1]

POOL = ROOT / "data" / "corpora" / "clustering" / "gva-pool-train.jsonl"
OUT = ROOT / "data" / "quality" / "support.jsonl"
CANDIDATES = 85

# Natural records, by candidate number: (supported?, why), read by hand.
LABELS: dict[int, tuple[bool, str]] = {
    0: (False, "the name Blake Case is not cited"), 1: (True, ""), 2: (False, "attributed to Sansom; the cited sentence names no speaker"),
    3: (True, ""), 4: (True, "investigating = taken over, near enough"), 5: (False, "Missouri, and that the dead is a man, not cited"),
    6: (False, "shoulder, cited: chest"), 7: (False, "crime statistics against a tip line"),
    8: (False, "killed and Miami-Dade not cited (cited: shot)"), 9: (False, "identity theft not cited"),
    10: (True, ""), 11: (False, "early morning, Sunday not cited"), 12: (False, "stomach, home not cited"),
    13: (True, ""), 14: (True, "just before 3 a.m. = 2:55 a.m."), 15: (True, ""), 16: (True, "paramedics' drive is colour"),
    17: (False, "3:30 p.m., Interstate 635 not cited"), 18: (False, "right leg, not sure how she was shot: not cited"),
    19: (False, "a bar not cited"), 20: (False, "Saybrook Street, forensic team not cited"),
    21: (True, "Indiana DNR = Indiana Conservation Officers"), 22: (False, "video and pictures released: not cited"),
    23: (False, "Charles County Sheriff's Office as the source: not cited"), 24: (True, ""),
    25: (False, "60 people, cited: nine people"), 26: (False, "a mile from the fairgrounds: not cited"),
    27: (False, "Sgt. Crystal Leblanc not cited"), 28: (True, ""), 29: (False, "Friday, Portage Park not cited"),
    30: (False, "Lt. Ruth Cate not cited"), 31: (False, "murder, the nickname BigD not cited"), 32: (True, ""),
    33: (False, "four not cited"), 34: (True, ""), 35: (True, "(5673) spells LMPD"), 36: (False, "no suspects in custody: not cited"),
    37: (False, "jail without bond, his son: not cited"), 38: (False, "more than one suspect, car-to-car: not cited"),
    39: (False, "11:46 p.m. not cited"), 40: (False, "critical condition, a police source: not cited"), 41: (True, ""),
    42: (False, "Crime Stoppers number not cited"), 43: (False, "five men and three women, cited: four men, three women"),
    44: (False, "arraigned, shed, prosecutor: not cited"), 45: (False, "death confirmed: not cited"),
    46: (False, "Saturday not cited"), 47: (False, "face and parked car, cited: head"), 48: (True, ""), 49: (True, ""),
    50: (False, "attributed to Smith; the cited sentence names no Smith"), 51: (True, ""),
    52: (False, "injuries not life-threatening: not cited"), 53: (False, "Sunday 4:45 p.m. update: not cited"),
    54: (False, "late Sunday not cited"), 55: (False, "the name Fabriccio Patti not cited"), 56: (True, ""),
    57: (False, "a fifth child: not cited"), 58: (True, ""), 59: (False, "serious condition after surgery: cited, in surgery"),
    60: (True, "OCSO = Okaloosa County Sheriff's office"), 61: (False, "gunshot wounds, 23 months, John: not cited"),
    62: (False, "11:40 a.m., shot multiple times, 1200 block: not cited"), 63: (False, "face murder charges; cited: charges set aside"),
    64: (True, ""), 65: (True, ""), 66: (False, "Jackson Park Hospital, cited: Mount Sinai"),
    67: (False, "Friday, two children: not cited"), 68: (False, "Friday not cited"), 69: (True, ""),
    70: (False, "Sunday not cited"), 71: (False, "first name Andrew, the sheriff's office as source: not cited"),
    72: (False, "Saturday night, 9200 block, Atwater: not cited"), 73: (True, ""),
    74: (False, "11:30 Sunday, cited: late Saturday morning"), 75: (True, ""),
    76: (False, "Leander Williams, shrapnel, 12 and 14: not cited"), 77: (True, ""), 78: (True, ""),
    79: (True, "this evening = Tuesday night"), 80: (False, "pursued: cited, located"), 81: (False, "2:30 p.m., cited: about 2 p.m."),
    82: (False, "Hickory Hill not cited"), 83: (False, "by another child, inside a parked car: not cited"), 84: (True, ""),
}

# Faithful paraphrases of a natural record's cited sentences, by candidate number (written by us).
PARAPHRASES: dict[int, str] = {
    0: "A 7-year-old boy was accidentally shot and killed by his 8-year-old brother in Lawrence County, Kentucky.",
    1: "Deputies said the boys were playing cops and robbers when the 8-year-old found a rifle while hiding in an outbuilding.",
    3: "Police asked anyone who knows where he is to call Erie Police at 870-1120.",
    4: "The El Paso County Sheriff's Office said no officers were hurt in the shooting.",
    5: "A Mountain View man is charged with involuntary manslaughter after a weekend shooting death.",
    6: "Officers found an unresponsive 2-year-old boy with a gunshot wound to the chest.",
    8: "An 18-year-old Cutler Bay man was arrested after police said he accidentally shot his friend on New Year's Eve.",
    10: "La Porte police dispatch got a call for medical and police help in the 9700 block of Wilmont Road at about 1:45 p.m.",
    13: "Witnesses saw two males in dark clothing leave in a gray or silver Toyota Tacoma or Tundra pickup.",
    15: "The suspect died of a self-inflicted gunshot wound, which ended the incident.",
    16: "Kaleb was pronounced dead at Trinity Hospital.",
    18: "A man told police his dog shot his girlfriend in the leg, according to a Jacksonville Sheriff's Office report.",
    19: "Four people were wounded Saturday morning in a possibly gang-related shooting on San Antonio's Northeast Side.",
    20: "One woman was killed and three men were taken to a hospital after a drive-by shooting in Houston late Wednesday night.",
    22: "Police said a man waited in the parking lot of a Detroit club and opened fire, shooting five people late Sunday night.",
    24: "Police Chief Tom Lewis called the shooting a horrible accident.",
    26: "The girl was riding in her father's car when someone in a passing vehicle opened fire near Metropolitan and Second Avenues at about 9:30 p.m.",
    27: "Police in Opelousas said a 15-year-old who was shot on Pulford Street on Sunday afternoon has died.",
    29: "A 15-year-old boy was shot in the head and killed in an apparent accident on the Northwest Side on June 12, 2015.",
    30: "Authorities said all of the victims were believed to have gunshot wounds, but the extent of their injuries was not available.",
    33: "Police said the victims went to local hospitals and were all expected to survive.",
    34: "Six people, five men and one woman aged 18 to 22, were shot at an 18-year-old's birthday party in Jamaica Plain on Friday night.",
    36: "One of the five people sent to the hospital by Thursday's shooting has died, according to the Hot Springs Police Department.",
    38: "A 16-year-old girl returning home from church with her family was killed by stray gunfire in Lynwood.",
    39: "The Cook County Medical Examiner's Office identified the teen shot in the back as Jamel Rollins; he died at Northwestern Memorial Hospital.",
    41: "A gunman opened fire at a vigil in West Baltimore on Monday evening, wounding five people.",
    43: "Three women and four men were wounded.",
    44: "Police say a 14-year-old boy died when a gun held by a 13-year-old companion went off in a yard on Detroit's east side.",
    46: "Prosecutors plan no charges after a 3-year-old boy found a gun in an SUV and accidentally shot his mother in the head.",
    50: "Police say a 4-year-old Milwaukee boy accidentally shot his uncle in the stomach after finding a gun on the floor.",
    52: "Police said a 16-year-old girl was shot in the leg in West Valley City on Tuesday in what appears to be an accident.",
    53: "Marcello Brown, 23, was pronounced dead around 4:15 a.m. Saturday, the Winnebago County Coroner's Office said.",
    54: "The sheriff's office says seventeen-year-old Kyle Markins of Findlay was killed by a gunshot wound.",
    55: "Police now say the 13-year-old boy killed during what was thought to be an attempted robbery of a smoke shop was murdered by the shop's clerk.",
    57: "Alice Terry, 14, walked into St. Bernard Hospital with a graze wound in the buttocks from the same shooting.",
    61: "Jeremy Contreras, 36, Garett Contreras, 5, and Avery Contreras were found dead in a truck in Lynn County, south of Lubbock.",
    63: "A judge ordered the murder charges against two Hampton teens, Ryan Taybron and Eric Nixon, to be dropped.",
    64: "Police are investigating after four adults and a 3-year-old boy were shot in Evanston on Monday.",
    65: "Deleon is in custody, but police said the gun had not been recovered.",
    70: "About 19 people were wounded when gunfire erupted during the Mother's Day second-line parade in New Orleans, police said.",
    71: "Carroll is being held in St. Bernard Parish Prison on $25,000 bond.",
    72: "Merced County Sheriff's detectives arrested three men they say shot three teenagers at a party attended by more than 100 people.",
    74: "An 18-year-old man fatally shot his 17-year-old friend and football teammate in a northern Minnesota home, in what authorities were told was an accident.",
    76: "A man wanted in a Jersey City church hall shooting that left a teenage boy dead and two girls wounded has turned himself in.",
    78: "Officers learned a resident accidentally shot his 23-year-old son in the abdomen with a 9mm handgun while showing him the weapon.",
    79: "A 13-year-old boy faces a first-degree manslaughter charge in the accidental shooting death of his 14-year-old friend, Ciqala Miller.",
    80: "Illinois State Police said the April 24 mass shooting in Manchester, Illinois, left five people dead.",
    81: "Jesus Javier Paez, 22, died after he was shot in the 4300 block of Clara Street in Cudahy.",
    82: "Police say the suspects are believed to have driven a black Porsche SUV.",
    83: "Police in Crossville said a 7-year-old boy was shot in a parking lot on Monday afternoon and later died.",
    84: "A Smith and Wesson semi-automatic handgun with 15 live rounds in the magazine was found on the bedroom floor.",
}

# Claims added to a supported sentence (none is stated by any cited sentence they are added to; checked).
CLAIMS = (
    ", and the gunman was arrested hours later at a relative's home",
    " after an argument over a parking space",
    ", police said, adding that the victim had been drinking",
    ", and a second victim was treated for a graze wound",
    " in what officers called a gang retaliation",
    ", and the weapon had been reported stolen from a pawn shop",
)
OTHER_NAMES = ("Harrison", "Marquez", "Jefferson County", "Fort Worth", "Sgt. Alvarez", "Cleveland")


def _vector(text: str) -> dict[str, float]:
    counts = collections.Counter(content_terms(text))
    norm = math.sqrt(sum(v * v for v in counts.values())) or 1.0
    return {k: v / norm for k, v in counts.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    return sum(v * b.get(k, 0.0) for k, v in a.items())


def _order(key: str) -> bytes:
    return hashlib.blake2b(f"support:{key}".encode(), digest_size=8).digest()


def candidates() -> list[dict]:
    """The natural pairs, in a fixed order: one per incident two outlets reported."""
    records = [json.loads(line) for line in POOL.read_text(encoding="utf-8").splitlines()]
    by_incident: dict[str, list[dict]] = collections.defaultdict(list)
    for record in records:
        by_incident[record["incident_id"]].append(record)
    incidents = sorted((k for k, v in by_incident.items() if len({r["source"] for r in v}) >= 2), key=_order)
    found = []
    for incident in incidents:
        reports = by_incident[incident]
        a = reports[0]
        b = next(r for r in reports[1:] if r["source"] != a["source"])
        own = [s for s in split_sentences(a["text"]) if usable(s) and 8 <= s.words <= 40]
        theirs = [s for s in split_sentences(b["text"]) if usable(s)]
        if not own or not theirs:
            continue
        vectors = [_vector(s.text) for s in theirs]
        best = None
        for sentence in own:
            v = _vector(sentence.text)
            sims = sorted(((_cosine(v, w), j) for j, w in enumerate(vectors)), reverse=True)
            if 0.3 <= sims[0][0] < 0.9 and (best is None or sims[0][0] > best[0]):
                best = (sims[0][0], sentence, sims)
        if best is None:
            continue
        _, sentence, sims = best
        cited = [theirs[sims[0][1]].text]
        if len(sims) > 1 and sims[1][0] >= 0.25:
            cited.append(theirs[sims[1][1]].text)
        found.append({"incident": incident, "sentence": sentence.text, "cited": cited,
                      "from": [a["doc_id"], b["doc_id"]]})
        if len(found) == CANDIDATES:
            break
    return found


_DIGITS = re.compile(r"\b\d+\b")
_WORD_NUMBERS = {"one": "two", "two": "three", "three": "four", "four": "six", "five": "seven", "six": "eight",
                 "seven": "nine", "eight": "ten", "nine": "eleven", "seventeen": "nineteen"}


def _changed_number(sentence: str, cited: str) -> str | None:
    """``sentence`` with its first number changed to one the cited sentences do not state."""
    match = _DIGITS.search(sentence)
    if match:
        value = int(match.group(0))
        for new in (value + 2, value + 10, value * 3 + 1):
            if not re.search(rf"\b{new}\b", cited):
                return sentence[: match.start()] + str(new) + sentence[match.end():]
    for word, new in _WORD_NUMBERS.items():
        hit = re.search(rf"\b{word}\b", sentence, re.IGNORECASE)
        if hit and not re.search(rf"\b{new}\b", cited, re.IGNORECASE):
            return sentence[: hit.start()] + new + sentence[hit.end():]
    return None


def _swapped_name(sentence: str, cited: str, k: int) -> str | None:
    own = sorted(n for n in names(sentence))
    for name in own:
        hit = re.search(rf"\b{re.escape(name)}\b", sentence, re.IGNORECASE)
        replacement = OTHER_NAMES[k % len(OTHER_NAMES)]
        if hit and replacement.split()[-1].lower() not in cited.lower():
            return sentence[: hit.start()] + replacement + sentence[hit.end():]
    return None


def _negated(sentence: str) -> str | None:
    if re.search(r"(?i)\bnot?\b|n't\b", sentence):  # "was not not available" says nothing clear
        return None
    for verb in (" was ", " were ", " is ", " are ", " has ", " have "):
        if verb in sentence:
            return sentence.replace(verb, verb + "not ", 1)
    return None


def build() -> list[dict]:
    found = candidates()
    records = []
    for k, pair in enumerate(found):
        label, note = LABELS[k]
        records.append({"id": f"natural-{k}", "kind": "natural", "incident": pair["incident"],
                        "sentence": pair["sentence"], "cited": pair["cited"], "supported": label, "note": note})
    for k, text in PARAPHRASES.items():
        pair = found[k]
        records.append({"id": f"paraphrase-{k}", "kind": "paraphrase", "incident": pair["incident"],
                        "sentence": text, "cited": pair["cited"], "supported": True, "note": ""})
    # One made-unsupported record for each supported one, the kinds taken in turn (skipping a kind that
    # does not apply: no number to change, no name to swap).
    kinds = ("number", "name", "claim", "other", "negation")
    bases = [r for r in records if r["supported"]]
    for n, base in enumerate(bases):
        cited = " ".join(base["cited"])
        for step in range(len(kinds)):
            kind = kinds[(n + step) % len(kinds)]
            made, note = _made(kind, base, cited, n, found)
            if made is not None:
                records.append({"id": f"{kind}-{base['id']}", "kind": kind, "incident": base["incident"],
                                "sentence": made, "cited": base["cited"], "supported": False, "note": note})
                break
    return records


def _made(kind: str, base: dict, cited: str, n: int, found: list[dict]) -> tuple[str | None, str]:
    sentence = base["sentence"]
    if kind == "number":
        return _changed_number(sentence, cited), "a number changed"
    if kind == "name":
        return _swapped_name(sentence, cited, n), "a name replaced by another incident's"
    if kind == "negation":
        return _negated(sentence), "negated"
    if kind == "claim":
        claim = CLAIMS[n % len(CLAIMS)]
        return sentence.rstrip(".") + claim + ".", f"claim added: {claim.strip(' ,')}"
    # The sentence of another incident most like these cited sentences (the hardest to tell apart).
    mine = _vector(cited)
    others = [p for p in found if p["incident"] != base["incident"]]
    best = max(others, key=lambda p: _cosine(_vector(p["sentence"]), mine))
    return best["sentence"], f"sentence of incident {best['incident']}"


def main() -> None:
    records = build()
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    counts = collections.Counter((r["kind"], r["supported"]) for r in records)
    print(f"{len(records)} records -> {OUT.relative_to(ROOT)}: {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()
