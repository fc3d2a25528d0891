"""The one error tree of Storyline.

Every error Storyline raises on purpose derives from :class:`StorylineError`.
Third-party errors are wrapped where they enter (``raise DecodeError(path) from exc``),
so callers catch our types, never a library's::

    StorylineError                 anything Storyline raises on purpose
    ├── ConfigError                a setting is unknown or has a bad value
    ├── InputError                 one input (file, line, record, page) cannot be used
    │   ├── UnsupportedInputError  a file type Storyline does not read
    │   ├── EmptyInputError        a file or record with nothing in it
    │   ├── DecodeError            bytes that are not text in any encoding we can tell
    │   └── RecordError            a record that is not valid (bad JSON, missing title/text)
    ├── FetchError                 a URL could not be fetched
    │   ├── BlockedAddressError    the URL resolves to a private, loopback or metadata address
    │   ├── ResponseTooLargeError  the body passed the size cap while streaming
    │   ├── FetchTimeoutError      connect, read or whole-request time limit passed
    │   ├── TooManyRedirectsError  more than the allowed redirect hops, or a loop
    │   ├── RobotsDeniedError      robots.txt forbids the URL for Storyline's user agent
    │   └── HTTPStatusError        the server answered with an error status (``status``)
    ├── FeedParseError             a fetched document is not a feed, sitemap or OPML we can read
    ├── ExtractError               no article could be extracted from a page
    ├── EmbeddingError             texts could not be embedded (model missing, embedding server failed)
    ├── LLMError                   the LLM endpoint failed (down, error status, timeout, oversize or malformed answer)
    └── StoreError                 the store failed
        ├── StoreUnavailableError  the database cannot be reached or opened
        ├── LeaseLostError         a writer's lease ran out and another process writes now
        └── SchemaError            the database schema is newer or older than this code

Each error carries the input it is about (``subject``) and a ``hint`` saying what to do,
and renders as one line: ``"<subject>: <what failed>. <hint>"``.
"""

from __future__ import annotations

__all__ = [
    "BlockedAddressError",
    "ConfigError",
    "DecodeError",
    "EmbeddingError",
    "EmptyInputError",
    "ExtractError",
    "FeedParseError",
    "FetchError",
    "FetchTimeoutError",
    "HTTPStatusError",
    "InputError",
    "LLMError",
    "LeaseLostError",
    "RecordError",
    "ResponseTooLargeError",
    "RobotsDeniedError",
    "SchemaError",
    "StoreError",
    "StoreUnavailableError",
    "StorylineError",
    "TooManyRedirectsError",
    "UnsupportedInputError",
]


class StorylineError(Exception):
    """Base of every error Storyline raises on purpose."""

    default_hint: str = ""

    def __init__(self, subject: str, message: str, hint: str | None = None) -> None:
        self.subject = subject
        self.message = message
        self.hint = self.default_hint if hint is None else hint
        super().__init__(str(self))

    def __reduce__(self) -> tuple[object, ...]:
        # Errors cross process boundaries (parsing runs in worker processes); rebuild them
        # from their parts, not from the rendered line ``Exception`` would pickle.
        return (_rebuild, (type(self), self.__dict__.copy()))

    def __str__(self) -> str:
        line = f"{self.subject}: {self.message}" if self.subject else self.message
        return f"{line}. {self.hint}" if self.hint else line


def _rebuild(cls: type[StorylineError], state: dict[str, object]) -> StorylineError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, str(error))
    return error


class ConfigError(StorylineError):
    """A setting is unknown or its value cannot be used."""

    default_hint = "See `storyline settings` or docs/configuration.md for valid settings."


class InputError(StorylineError):
    """One input cannot be used; the rest of the batch goes on."""


class UnsupportedInputError(InputError):
    """A file type Storyline does not read."""

    default_hint = "Storyline imports .html/.htm, .txt/.md, .jsonl/.ndjson (optionally .gz)."


class EmptyInputError(InputError):
    """A file or record with nothing in it."""

    default_hint = "Skipped; nothing to import."


class DecodeError(InputError):
    """Bytes that are not text in any encoding Storyline can tell."""

    default_hint = "Save the file as UTF-8 text and import it again."


class RecordError(InputError):
    """A record that is not valid: not JSON, or missing what an article needs."""

    default_hint = 'Each line must be a JSON object with at least "title" and "text".'


class FetchError(StorylineError):
    """A URL could not be fetched."""

    default_hint = "Storyline will retry later; check the URL if this keeps happening."


class BlockedAddressError(FetchError):
    """The URL resolves to an address Storyline refuses to contact (no connection is made)."""

    default_hint = (
        "Private, loopback, link-local and metadata addresses are refused; set "
        "allow_private_networks to fetch from your own network."
    )


class ResponseTooLargeError(FetchError):
    """The body passed the size cap while streaming."""

    default_hint = "Raise max_body_bytes if this source really serves such large documents."


class FetchTimeoutError(FetchError):
    """A connect, read or whole-request time limit passed."""


class TooManyRedirectsError(FetchError):
    """More redirect hops than allowed, or a redirect loop."""


class RobotsDeniedError(FetchError):
    """robots.txt forbids the URL for Storyline's user agent."""

    default_hint = "The site asks crawlers not to fetch this page; Storyline respects that."


class HTTPStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(self, subject: str, status: int, message: str, hint: str | None = None) -> None:
        self.status = status
        super().__init__(subject, message, hint)


class FeedParseError(StorylineError):
    """A fetched document is not a feed, sitemap or OPML file Storyline can read."""

    default_hint = "Check that the URL points at an RSS, Atom or JSON feed, or a sitemap."


class ExtractError(StorylineError):
    """No article could be extracted from a page."""

    default_hint = "The page may be empty, not an article, or rendered by JavaScript."


class EmbeddingError(StorylineError):
    """Texts could not be embedded: the model is missing or broken, or the embedding server failed."""

    default_hint = "Check the embedder settings (embedder, embedder_model, embedder_url); see docs/configuration.md."


class LLMError(StorylineError):
    """The LLM endpoint could not give an answer: down, an error status, too slow, too large or malformed."""

    default_hint = "The extractive summary is shown instead; check llm_url, llm_model and the server's log."


class StoreError(StorylineError):
    """The store failed."""


class StoreUnavailableError(StoreError):
    """The database cannot be reached or opened."""

    default_hint = (
        "Check STORYLINE_DATABASE_URL (or --database-url) and that the database server is running."
    )


class DiskFullError(StoreUnavailableError):
    """The disk holding the database (or a file being written) is full: nothing more can be written."""

    default_hint = (
        "Free space on the disk (or raise the quota), then run the same command again: what was stored is "
        "kept, and an import skips what it already stored."
    )


class LeaseLostError(StoreError):
    """A process wrote shared state (stories) after its lease on it ran out and another took it."""


class SchemaError(StoreError):
    """The database schema does not match this version of Storyline."""

    default_hint = "Run `storyline db upgrade`, or upgrade Storyline if the database is newer."
