"""The quotes stage on its own: quotation marks paired, speakers found and resolved to entities."""

from __future__ import annotations

import pytest

from storyline.entities import find_entities
from storyline.quotes import MAX_CHARS, find_quotes, same_speaker
from storyline.types import Quote


def quotes_of(text: str, title: str = "") -> list[Quote]:
    return list(find_quotes(text, find_entities(title, text)))


def speakers(text: str) -> list[tuple[str, str | None]]:
    return [(q.text, q.speaker) for q in quotes_of(text)]


@pytest.mark.parametrize(("text", "speaker", "as_written"), [
    ("Kremlin aide Yuri Ushakov spoke on Thursday. 'Next week has been set as a target date,' said Ushakov.",
     "Yuri Ushakov", "Ushakov"),
    ("Mayor Muriel Bowser spoke. “We are not experiencing a crime spike,” Bowser said on Sunday.",
     "Muriel Bowser", "Bowser"),
    ('NATO head Mark Rutte told ABC on Sunday that "Russia is controlling some of Ukrainian territory".',
     "Mark Rutte", "Mark Rutte"),
    ('According to eyewitness Vinnie DeVita, "within probably 15 to 20 seconds of it all, it exploded."',
     "Vinnie DeVita", "Vinnie DeVita"),
    ("Witkoff met Putin, Ushakov said. 'The Russian side left this option completely without comment,' he added.",
     "Ushakov", "he"),
    ("Top EU diplomat Kaja Kallas spoke on Sunday. 'I will convene an extraordinary meeting of the EU foreign "
     "ministers,' she said in a statement.", "Kaja Kallas", "she"),
    ("The EU's Kallas backed Kyiv's position. 'As we work towards a sustainable and just peace, international law "
     "is clear,' the EU foreign policy chief said.", "Kaja Kallas", "the EU foreign policy chief"),
    ("Both 'praised the mediation efforts' of Trump, a German government spokesman said.",
     None, "a German government spokesman"),
])
def test_the_speaker_is_found_and_resolved(text: str, speaker: str | None, as_written: str) -> None:
    found = quotes_of(text)
    assert len(found) == 1
    assert same_speaker(found[0].speaker, speaker), (found[0].speaker, speaker)
    assert found[0].speaker_as_written == as_written


def test_a_quote_over_several_sentences_is_one_quote() -> None:
    text = ("Kaja Kallas spoke. 'President Trump is right that Russia has to end its war against Ukraine. The US has "
            "the power to force Russia to negotiate seriously,' Kallas said.")
    [quote] = quotes_of(text)
    assert quote.text.startswith("President Trump is right")
    assert quote.text.endswith("negotiate seriously")
    assert quote.speaker == "Kaja Kallas"


def test_a_quote_over_paragraphs_goes_on_where_the_next_paragraph_opens_with_a_mark() -> None:
    text = ('Senator Ted Cruz said, "For too long, members of Congress have abused their power.\n\n'
            '"Term limits on members of Congress offer a solution," he added.')
    [quote] = quotes_of(text)
    assert "abused their power." in quote.text
    assert "offer a solution" in quote.text
    assert '"' not in quote.text
    assert quote.speaker == "Ted Cruz"


def test_a_quote_that_goes_on_after_its_attribution_keeps_the_speaker() -> None:
    text = ('"President Trump treats the rule of law with utter contempt," said California Attorney General Xavier '
            'Becerra. "He knows there is no border crisis."')
    assert [s for _, s in speakers(text)] == ["Xavier Becerra", "Xavier Becerra"]


def test_straight_curly_and_mixed_marks_pair() -> None:
    text = ("Donald Trump spoke. ‘It's all going to happen very fast,' he said. "
            "“We will give you places to stay,” Trump added. \"I'm going to make it safer,\" he said.")
    assert [t for t, _ in speakers(text)] == ["It's all going to happen very fast", "We will give you places to stay",
                                              "I'm going to make it safer"]
    assert {s for _, s in speakers(text)} == {"Donald Trump"}


def test_apostrophes_scare_quotes_and_titles_are_not_quotes() -> None:
    text = ("Russia's leaders' summit was 'in principle' agreed. Trump said he would go 'far'. "
            "They watched 'Star Wars Return Of The Jedi' on Friday.")
    assert quotes_of(text) == []


@pytest.mark.parametrize("text", [
    'He said "this never closes and goes on to the end of the text',
    "'Unbalanced at the start. And no end.\n\nNext paragraph does not open a quote.",
    '"" "" "" ‘’ ‘’',
    '"' * 5_000,
    ("'" + "word " * 50 + "\n\n") * 500,  # every paragraph opens a quote that never closes
])
def test_unbalanced_marks_give_no_quote_and_no_crash(text: str) -> None:
    for quote in quotes_of(text):
        assert quote.text  # whatever is kept is a non-empty span of the text
        assert text[quote.start:quote.end]


@pytest.mark.timeout(60)
def test_a_huge_text_is_read_only_up_to_the_limit() -> None:
    text = ('"We will win this war," he said. ' * (MAX_CHARS // 30)) + '"A quote far past the limit," he said.'
    found = find_quotes(text)
    assert found
    assert all(q.end <= MAX_CHARS for q in found)
    assert not any("far past" in q.text for q in found)


def test_control_characters_do_not_break_attribution() -> None:
    text = "Yuri Ushakov\x0b spoke.\x00 'Next week has been set as a\u200b target date,' said\x1f Ushakov."
    found = quotes_of(text)
    assert len(found) == 1
    assert found[0].text.startswith("Next week")
