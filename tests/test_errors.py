"""The error tree: one line each, naming the input, and surviving a trip between processes."""

from __future__ import annotations

import pickle

import pytest

from storyline import errors


def test_every_error_renders_one_line_with_subject_message_and_hint() -> None:
    error = errors.DecodeError("feeds/a.txt", "not text")
    assert str(error) == "feeds/a.txt: not text. Save the file as UTF-8 text and import it again."


@pytest.mark.parametrize("name", sorted(errors.__all__))
def test_every_error_pickles_with_its_parts(name: str) -> None:
    cls = getattr(errors, name)
    error = cls("https://x.test/feed", 503, "busy") if cls is errors.HTTPStatusError else cls("input", "broke")
    error.retry_after = 12.0
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert str(copy) == str(error)
    assert copy.subject == error.subject
    assert copy.retry_after == 12.0
    assert isinstance(copy, errors.StorylineError)
