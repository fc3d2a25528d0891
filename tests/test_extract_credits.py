"""Agency credits and datelines: tables of real-world forms, and the look-alikes that must not count."""

from __future__ import annotations

import pytest

from storyline.extract import patterns
from storyline.extract.credits import find_credits, find_dateline

BODY = "The minister resigned on Monday after two days of talks with the coalition partners."

# -- datelines ------------------------------------------------------------------------------------

DATELINES = [
    # (text, place, agencies in the dateline)
    ("MOSCOW: The Kremlin said on Thursday that a summit was set.", "MOSCOW", ()),
    ("NEW DELHI, Aug 10 (Reuters) - India's central bank kept its key rate unchanged.", "NEW DELHI", ("Reuters",)),
    ("WASHINGTON, D.C. (AP) — The Senate voted on Tuesday to pass the bill.", "WASHINGTON, D.C.", ("AP",)),
    ("Islamabad (APP): Prime Minister Shehbaz Sharif said on Monday that talks would go on.", "Islamabad", ("APP",)),
    ("PARIS (AFP/Reuters) - French farmers blocked motorways around the capital.", "PARIS", ("AFP", "Reuters")),
    ("BRUSSELS (Reuters) - European Union countries agreed on new battery rules.", "BRUSSELS", ("Reuters",)),
    ("LONDON — The Bank of England held interest rates on Thursday.", "LONDON", ()),
    ("BERLIN (dpa) - The German government approved the budget.", "BERLIN", ("dpa",)),
    ("BEIJING, Aug 10 (Xinhua) -- China's exports rose more than expected in July.", "BEIJING", ("Xinhua",)),
    ("MADRID (EFE).- The Spanish government approved the new housing law.", "MADRID", ("EFE",)),
    ("KUALA LUMPUR, Aug 10 (Bernama) -- The cabinet met on Saturday.", "KUALA LUMPUR", ("Bernama",)),
    ("New Delhi [India], August 10 (ANI): Prime Minister Narendra Modi said today.", "New Delhi", ("ANI",)),
    ("NEW DELHI (ANI): Prime Minister Narendra Modi said today.", "NEW DELHI", ("ANI",)),
    ("TOKYO (Kyodo) -- Japan's exports rose for the third month.", "TOKYO", ("Kyodo",)),
    ("SEOUL, Aug. 10 (Yonhap) -- South Korea said on Saturday.", "SEOUL", ("Yonhap",)),
    ("ANKARA (AA) - Turkey's central bank raised rates.", "ANKARA", ("Anadolu",)),
    ("Lagos (AFP) – Nigeria's president named a new cabinet.", "Lagos", ("AFP",)),
    ("RIO DE JANEIRO, Sept 3 (Reuters) - Brazil's economy grew.", "RIO DE JANEIRO", ("Reuters",)),
]


@pytest.mark.parametrize(("text", "place", "agencies"), DATELINES, ids=[d[0][:28] for d in DATELINES])
def test_dateline(text: str, place: str, agencies: tuple[str, ...]) -> None:
    dateline = find_dateline(text)
    assert dateline is not None, text
    assert (dateline.place, dateline.agencies) == (place, agencies)
    # The article proper starts where the dateline ends.
    assert text[dateline.end:][:1].isalpha() or text[dateline.end:][:1] in "'\"‘“"


@pytest.mark.parametrize(("text", "place", "agencies"), DATELINES, ids=[d[0][:28] for d in DATELINES])
def test_dateline_agencies_are_credited(text: str, place: str, agencies: tuple[str, ...]) -> None:
    assert find_credits(text) == agencies


NOT_DATELINES = [
    "UPDATE: The minister resigned on Monday after talks with the coalition.",
    "UPDATE 2-Oil prices fall on Monday after the talks in Vienna.",
    "BREAKING: The minister resigned on Monday.",
    "EXCLUSIVE: The minister resigned on Monday.",
    "OPINION: Why the minister must resign now.",
    "WATCH: The minister resigns on live television.",
    "FACTBOX: What the minister's resignation means.",
    "US President Joe Biden said on Monday that he would sign the bill.",
    "US - China trade talks resumed in Geneva on Monday.",
    "NATO - Allies agreed on Monday to spend more on defence.",
    "EU: Ministers agree on a new migration deal.",
    "UK inflation fell in July, official figures showed.",
    "COVID-19: Cases rise again in the capital.",
    "Thousands of people attended the concert on Saturday night.",
    "Paris - The French president said on Monday that he would not resign.",
    "I - The first part of the report deals with the budget.",
    "",
    "   ",
]


@pytest.mark.parametrize("text", NOT_DATELINES)
def test_not_a_dateline(text: str) -> None:
    assert find_dateline(text) is None
    assert find_credits(text) == ()


# -- credits --------------------------------------------------------------------------------------

CREDITS = [
    (f"{BODY} (with newswires)", ("newswires",)),
    (f"{BODY}\n\n(With inputs from agencies)", ("newswires",)),
    (f"{BODY}\n\nWith agencies", ("newswires",)),
    (f"{BODY}\n\n— with agency inputs", ("newswires",)),
    (f"{BODY}\n\nWith inputs from PTI", ("PTI",)),
    (f"{BODY}\n\nCopyright 2024 The Associated Press. All rights reserved.", ("AP",)),
    (f"{BODY}\n\n© Agence France-Presse", ("AFP",)),
    (f"{BODY}\n\nReporting by Reuters; editing by Sam Holmes", ("Reuters",)),
    (f"{BODY}\n\nAdditional reporting by AFP and Reuters", ("AFP", "Reuters")),
    (f"{BODY}\n\nThe Associated Press contributed to this report.", ("AP",)),
    (f"{BODY}\n\nSource: Reuters", ("Reuters",)),
    (f"{BODY}\n\nSources: Reuters, AP", ("Reuters", "AP")),
    (f"{BODY} — dpa", ("dpa",)),
    (f"{BODY}\n\n- Xinhua", ("Xinhua",)),
    (f"{BODY} (EFE)", ("EFE",)),
    (f"{BODY}\n\n— Bernama", ("Bernama",)),
    (f"{BODY} (ANI)", ("ANI",)),
    (f"The minister resigned on Monday (AFP).\n\n{BODY}\n\n— AFP", ("AFP",)),
    (f"{BODY}\n\nThe video of the session was shared widely. — AFP", ("AFP",)),
    # Credits at both ends of a long text are found; one in the middle of it is not a credit.
    (f"BRUSSELS (Reuters) - {BODY}\n\n" + f"{BODY}\n\n" * 20 + "— AFP", ("Reuters", "AFP")),
]


@pytest.mark.parametrize(("text", "credits"), CREDITS, ids=[str(i) for i in range(len(CREDITS))])
def test_credits(text: str, credits: tuple[str, ...]) -> None:
    assert find_credits(text) == credits


NOT_CREDITS = [
    f"{BODY}\n\nAP Photo/Evan Vucci",
    f"{BODY} (AP Photo/Evan Vucci)",
    f"{BODY}\n\nPhoto: Ludovic Marin / AFP",
    f"{BODY}\n\nPhotograph: Evan Vucci / AP",
    f"{BODY}\n\nFILE PHOTO: The minister arrives at parliament / Reuters",
    "The app was downloaded a million times; ap said nothing, and neither did the others.",
    "The ANI study found that air pollution rose sharply in the city last winter.",
    "The CPI rose by 3 percent, the CPU and ACP were fine, and ICP said nothing more.",
    "Scientists at EFEMERIDES and DPAS labs said the AFPX index was wrong.",
    f"{BODY}\n\nReporting by Ria Thomas; editing by Sam Holmes",
    f"{BODY}\n\nAdditional reporting by Ani Sharma in New Delhi",
    "The ministry said it would work with agencies across government to fix the problem.",
    "The spa was closed for the season. Copyright Spa Resorts Ltd",
    "The report was compiled by the UN and the AP said on Monday it would publish it.",
    "Press Trust of India reported that the talks failed.",
    "Reuters reported that the talks failed, citing two people familiar with the matter.",
    "He said the talks had failed and that the minister would resign, AFP learned.",
    "The vote was 52 - 48 in favour of the motion.",
]


@pytest.mark.parametrize("text", NOT_CREDITS)
def test_not_a_credit(text: str) -> None:
    assert find_credits(text) == ()


def test_a_credit_in_the_middle_of_a_long_text_is_not_read() -> None:
    middle = "In 2019, the ministry (AFP) wrote that the plan was sound."
    text = f"{BODY}\n\n" * 10 + middle + f"\n\n{BODY}" * 10
    assert find_credits(text) == ()
    assert find_credits(middle) == ("AFP",)


# -- the pattern data -----------------------------------------------------------------------------


def test_every_agency_spelling_maps_back_to_its_agency() -> None:
    for name, spellings in patterns.AGENCIES.items():
        assert spellings, name
        for spelling in spellings:
            assert patterns.agency_name(spelling) == name
            assert patterns.agency_name(f"  {spelling.lower()} ") == name


def test_no_spelling_belongs_to_two_agencies() -> None:
    seen: dict[str, str] = {}
    for name, spellings in patterns.AGENCIES.items():
        for spelling in spellings:
            assert seen.setdefault(spelling.lower(), name) == name, spelling


def test_not_places_are_upper_case_as_they_are_compared() -> None:
    assert all(label == label.upper() for label in patterns.NOT_PLACES)
