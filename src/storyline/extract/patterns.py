"""Heuristics as data: the patterns extraction uses, apart from the code that runs them.

Add a pattern here, with a test case beside it in tests/test_extract_*.py; the algorithm
in the other modules should not need to change.
"""

from __future__ import annotations

import re

# News agencies: canonical name -> spellings seen in credits. The canonical name is what
# the `credits` field holds and what the duplicates stage credits as the original.
AGENCIES: dict[str, tuple[str, ...]] = {
    "AFP": ("AFP", "Agence France-Presse", "Agence France Presse"),
    "Reuters": ("Reuters", "Thomson Reuters"),
    "AP": ("AP", "Associated Press", "The Associated Press"),
    "dpa": ("dpa", "DPA", "Deutsche Presse-Agentur"),
    "EFE": ("EFE", "Agencia EFE"),
    "Xinhua": ("Xinhua",),
    "PTI": ("PTI", "Press Trust of India"),
    "ANI": ("ANI", "Asian News International"),
    "IANS": ("IANS",),
    "UNI": ("UNI", "United News of India"),
    "APP": ("APP", "Associated Press of Pakistan"),
    "Bernama": ("Bernama",),
    "ANSA": ("ANSA",),
    "Kyodo": ("Kyodo", "Kyodo News"),
    "Yonhap": ("Yonhap",),
    "TASS": ("TASS",),
    "Interfax": ("Interfax",),
    "RIA Novosti": ("RIA Novosti", "RIA"),
    "Anadolu": ("Anadolu", "Anadolu Agency", "AA"),
    "AAP": ("AAP", "Australian Associated Press"),
    "Canadian Press": ("The Canadian Press", "Canadian Press", "CP"),
    "Bloomberg": ("Bloomberg",),
    "UPI": ("UPI", "United Press International"),
    "NNA": ("NNA",),
    "WAM": ("WAM",),
    "SPA": ("SPA",),
    "KUNA": ("KUNA",),
}

# Spellings that are ordinary words or too ambiguous to count on their own: they are
# credited only inside an explicit credit form ("(AP)", "— AA"), never as a bare word.
AMBIGUOUS_SPELLINGS = frozenset({"AP", "AA", "CP", "RIA", "UNI", "SPA", "WAM", "NNA", "APP"})

_SPELLING_TO_AGENCY = {
    spelling.lower(): name for name, spellings in AGENCIES.items() for spelling in spellings
}
_SPELLINGS = sorted({s for spellings in AGENCIES.values() for s in spellings}, key=len, reverse=True)
AGENCY_ALTERNATION = "|".join(re.escape(s) for s in _SPELLINGS)


def agency_name(spelling: str) -> str | None:
    """The canonical agency for a spelling ("Agence France-Presse" -> "AFP")."""
    return _SPELLING_TO_AGENCY.get(spelling.strip().lower())


# Explicit credit forms. Each has a group named `agencies` holding one or more spellings
# joined by "/", ",", "and" or "with". Spellings match in their own case even inside a
# case-blind pattern: "Reporting by Ria Thomas" is not RIA Novosti, "Spa Resorts" not SPA.
_AG = rf"(?-i:{AGENCY_ALTERNATION})"
_AG_LIST = rf"(?P<agencies>{_AG}(?:\s*(?:/|,|and|&|with)\s*{_AG})*)"
CREDIT_PATTERNS: tuple[re.Pattern[str], ...] = (
    # "BRUSSELS (Reuters) -", "(AFP)", "(AP Photo...)" is excluded by the closing paren.
    re.compile(rf"\(\s*{_AG_LIST}\s*\)"),
    # "— AFP", "- Reuters" closing a paragraph or the text; not a photo's credit line
    # ("Photo: Ludovic Marin / AFP"), which credits the picture, not the text.
    re.compile(rf"^(?![^\n]*\b(?i:photo(?:graph)?|picture|image|video)s?(?:\s*credit)?\s*:)[^\n]*?(?:^|\s)[-–—/]\s*{_AG_LIST}\s*$",
               re.M),
    # "with inputs from PTI", "(with newswires)" is handled below, "Additional reporting by Reuters".
    re.compile(rf"\b(?:with (?:agency )?inputs? from|additional reporting by|reporting by)\s+{_AG_LIST}\b",
               re.I),
    # "Copyright AFP", "© Agence France-Presse", "AFP contributed to this report".
    re.compile(rf"(?:©|\bcopyright)\s*(?:\d{{4}}\s*)?{_AG_LIST}\b", re.I),
    re.compile(rf"\b(?:The\s+)?{_AG_LIST}\s+contributed to this (?:report|story|article)", re.I),
    # "Source: AFP", "Sources: Reuters, AP".
    re.compile(rf"^\s*sources?\s*:\s*{_AG_LIST}\s*$", re.I | re.M),
)

# Credits that name no agency but say the text is wire copy.
GENERIC_WIRE_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\((?:with )?(?:inputs? from )?(?:news ?wires|wires|agencies|agency inputs)\)", re.I),
    # A line of its own ("With agencies", "— with inputs from agencies"), not "work with agencies".
    re.compile(r"^\s*[-–—]?\s*with (?:inputs from )?(?:news ?wires|wire services|agencies|agency inputs)\s*\.?\s*$",
               re.I | re.M),
)
GENERIC_WIRE_CREDIT = "newswires"

# Every credit form above needs one of these words: texts without any are not searched further.
ANY_CREDIT_HINT = re.compile(rf"\b{_AG}\b|(?i:wires|agenc|inputs|contributed|copyright|©|reporting by)")

# A dateline opens the text: a place in capitals (or Title Case followed by an agency),
# an optional date and agency, then ":", "-" or "—". Groups: `place`, `agencies`.
DATELINE = re.compile(
    r"^\s*(?P<place>(?:[A-Z][A-Z.'’-]+(?:\s+[A-Z][A-Z.'’-]+){0,3})"
    r"(?:,\s*[A-Z][A-Za-z.]+(?:\s+[A-Z][A-Za-z.]+)?)?)"
    r"(?:,?\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2})?"
    rf"\s*(?:\(\s*(?P<agencies>{_AG}(?:\s*/\s*{_AG})*)\s*\))?"
    r"\s*\.?(?::|[-–—]{1,2})\s+"  # EFE writes "MADRID (EFE).- "
)
DATELINE_TITLE_CASE = re.compile(
    r"^\s*(?P<place>[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2})"
    r"(?:\s*\[[A-Z][A-Za-z ]+\])?"  # ANI writes "New Delhi [India], August 10 (ANI):"
    r"(?:,\s*(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2})?"
    rf"\s*\(\s*(?P<agencies>{_AG}(?:\s*/\s*{_AG})*)\s*\)\s*\.?(?::|[-–—]{{1,2}})\s+"
)
# Capitalised openings that are not places: labels, and the countries, blocs and bodies
# that open a sentence as its subject ("US - China talks resumed", "NATO: allies agree").
NOT_PLACES = frozenset({
    "UPDATE", "UPDATED", "BREAKING", "EXCLUSIVE", "ANALYSIS", "OPINION", "EDITORIAL", "WATCH",
    "VIDEO", "PHOTOS", "LIVE", "FILE", "NOTE", "CORRECTION", "EDITOR'S NOTE", "FACTBOX", "Q&A",
    "US", "U.S.", "USA", "UK", "U.K.", "EU", "UN", "U.N.", "NATO", "WHO", "IMF", "OPEC", "ASEAN",
    "BRICS", "FBI", "CIA", "COVID", "AI",
})

# Lines that are page furniture inside an article body: "Read also", "Sign up", share bars.
# Matched against a whole (short) line or block.
BOILERPLATE_LINES: tuple[re.Pattern[str], ...] = tuple(re.compile(p, re.I) for p in (
    r"^(?:also )?read (?:also|more|next)\b",
    r"^(?:see|watch) also\b",
    r"^related(?: articles?| stories| coverage| news| content| reading| topics)?\s*[:|]?",
    r"^(?:more|latest) (?:from|on|in|stories|news)\b.{0,60}$",
    r"^recommended(?: for you| stories| reading)?\s*[:|]?",
    r"^(?:sign up|subscribe)\b",
    r"^(?:click|tap) here\b",
    r"^follow (?:us|@)\b",
    r"^share (?:this|on|via)\b",
    r"^advertisement\s*$",
    r"^(?:copyright|©)\s",
    r"^all rights reserved\b",
    r"^(?:photo|image|picture|file photo)\s*(?:credit)?\s*:",
    r"^(?:get|download) (?:the|our) (?:app|newsletter)\b",
    r"^(?:don['’]t|do not) miss\b",
    r"^(?:this|the) (?:article|story) (?:was|has been) (?:updated|corrected)\b.{0,40}$",
    r"^(?:join|like) us on\b",
    r"^(?:newsletter|trending)\s*:?\s*$",
    r"^[\w.+-]+@[\w-]+\.[\w.]+\s*$",  # a bare e-mail line
    # What an app shell shows without JavaScript: not an article, whatever else is missing.
    r"^(?:to (?:view|see|use|watch|read) [^.]{0,60}?,? )?(?:please )?(?:you (?:need|have|must) to )?"
    r"(?:enable|turn on|activate) javascript\b",
    r"^javascript (?:is )?(?:disabled|required|must be enabled)\b",
    r"^(?:this (?:site|page|app|website) )?requires javascript\b",
))
# Longest block the boilerplate patterns may remove: longer text is article, whatever it starts with.
BOILERPLATE_MAX_WORDS = 30

# A paragraph that is mostly link text and short is navigation or a related headline.
LINK_DENSITY_MAX = 0.8
LINK_BLOCK_MAX_WORDS = 40
# Teasers of other articles end in an ellipsis; trailing ones are cut.
TEASER_END = re.compile(r"(?:…|\.\.\.|\[…\]|\[\.\.\.\])\s*$")
