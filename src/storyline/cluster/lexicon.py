"""Word lists the evidence extractor reads (heuristics as data, apart from the algorithm)."""

from __future__ import annotations


def _word_set(block: str) -> frozenset[str]:
    return frozenset(block.split())


# English function words and news filler: they say nothing about which event a text reports.
STOPWORDS = _word_set("""
a about above after again against all also am an and any are aren't as at be because been before being below
between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few
for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my
myself no nor not of off on once only or other ought our ours ourselves out over own same shan't she she'd
she'll she's should shouldn't so some such than that that's the their theirs them themselves then there there's
these they they'd they'll they're they've this those through to too under until up very was wasn't we we'd we'll
we're we've were weren't what what's when when's where where's which while who who's whom why why's with won't
would wouldn't you you'd you'll you're you've your yours yourself yourselves
said says say told according also just like new one two three four five six seven eight nine ten first last
year years day days week weeks month months time times people would could may might will percent per cent mr mrs
ms dr st us via news report reports reported reporting update updated published posted am pm et gmt est edt pst
monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow tonight
january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec
aren couldn didn doesn don hadn hasn haven isn mustn shan shouldn wasn weren won wouldn ll ve re
""")

# Words that are capitalised for a reason other than naming someone or something: sentence
# openers, pronouns, titles, calendar words, and the generic words of headlines.
NOT_NAMES = _word_set("""
a an the this that these those there here it its he she they we you i his her their our my your
in on at of for from by with to as after before during since until while when where why how what who which
if but and or so yet not no nor all any some many more most other such each every both few several
monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow
january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec
mr mrs ms dr sir madam president prime minister secretary general governor senator sen rep gov gen lt col sgt
chief officer police spokesman spokeswoman spokesperson captain judge justice king queen prince princess pope
read more click photo video image caption file source sources advertisement related share comments copyright
breaking news update updated published posted first last watch live
according also however meanwhile earlier later still now then just only even
one two three four five six seven eight nine ten
""")
