"""Settings: one table, each setting settable by config file, CLI flag and environment.

Precedence, highest first: a CLI flag (``--setting NAME VALUE`` or a dedicated flag),
the environment (``STORYLINE_<NAME>``), the config file (``storyline.toml`` in the home
folder, or the file named by ``--config`` / ``STORYLINE_CONFIG``), the default.

The docs page ``docs/configuration.md`` is generated from :data:`SETTINGS`
(``storyline settings --markdown``); a test keeps the two equal.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from storyline.errors import ConfigError

__all__ = ["SETTINGS", "Setting", "Settings", "load_settings", "settings_markdown", "shown_value"]

ENV_PREFIX = "STORYLINE_"
CONFIG_FILE_NAME = "storyline.toml"


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def _parse_int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"expected a whole number, got {text!r}") from None


def _parse_positive_int(text: str) -> int:
    value = _parse_int(text)
    if value < 1:
        raise ValueError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _parse_base_url(text: str) -> str:
    value = text.strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"expected an http(s) address such as https://news.example.org, got {text!r}")
    return value


def _parse_seconds(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"expected a number of seconds, got {text!r}") from None
    if value < 0:
        raise ValueError(f"expected zero or more seconds, got {text!r}")
    return value


def _parse_port(text: str) -> int:
    value = _parse_int(text)
    if not 0 <= value <= 65535:
        raise ValueError(f"expected a port between 0 and 65535, got {text!r}")
    return value


def _parse_thread_count(text: str) -> int:
    value = _parse_int(text)
    if value < 0:
        raise ValueError(f"expected 0 (one per core) or more threads, got {text!r}")
    return value


EMBEDDERS = ("onnx", "sentence-transformers", "openai")


def _parse_embedder(text: str) -> str:
    name = text.strip().lower()
    if name not in EMBEDDERS:
        raise ValueError(f"expected one of {', '.join(EMBEDDERS)}, got {text!r}")
    return name


def _parse_log_level(text: str) -> str:
    level = text.strip().lower()
    if level not in {"debug", "info", "warning", "error"}:
        raise ValueError(f"expected debug, info, warning or error, got {text!r}")
    return level


@dataclass(frozen=True, slots=True)
class Setting:
    """One row of the settings table."""

    name: str
    default: str
    help: str
    parse: Callable[[str], Any] = str

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper()


# The settings table. Defaults are written as text, exactly as a user would write them.
SETTINGS: tuple[Setting, ...] = (
    Setting("home", "./var", "Data folder: the SQLite database, logs and caches live here.", Path),
    Setting(
        "database_url",
        "",
        "SQLAlchemy URL of the store. Empty means SQLite at `<home>/storyline.db`. "
        "For PostgreSQL: `postgresql://user:password@host/dbname`.",
    ),
    Setting("host", "127.0.0.1", "Address the web server listens on."),
    Setting("port", "8000", "Port the web server listens on.", _parse_port),
    Setting("base_url", "", "The address readers reach this Storyline at (https://news.example.org), for "
            "absolute links; empty: links are relative. Never taken from a request's Host header.",
            _parse_base_url),
    Setting("log_level", "info", "One of debug, info, warning, error.", _parse_log_level),
    Setting("page_size", "30", "Articles per page in the web app and API lists.", _parse_positive_int),
    Setting("page_cache_seconds", "10", "How long the ranked home page is reused before it is ranked again. "
            "What this process stores shows at once; what other processes (workers, an import) store shows "
            "within this time. 0: rank every request.", _parse_seconds),
    Setting("images", "true", "Show publishers' pictures on story cards. They load from the publisher's site, "
            "which then sees the reader's address (never the page they read); false keeps every request on this "
            "server.", _parse_bool),
    Setting("live_updates_seconds", "60", "How often an open home page asks for new stories and offers them "
            "without a reload (the page's script; 0 turns it off).", _parse_seconds),
    Setting(
        "load_sample",
        "true",
        "Load the bundled sample news when `storyline serve` starts on an empty store.",
        _parse_bool,
    ),
    Setting(
        "sample_dir",
        "",
        "Folder of the bundled sample. Empty means the sample shipped inside the package (`storyline/data/sample`).",
    ),
    Setting(
        "load_starter_feeds",
        "true",
        "Subscribe to the shipped starter list of ~40 major outlets' feeds when `storyline serve` starts "
        "with no sources.",
        _parse_bool,
    ),
    Setting(
        "contact_url",
        "https://github.com/storyline-news/storyline",
        "URL named in Storyline's User-Agent, so publishers can reach whoever runs this instance.",
    ),
    Setting(
        "allow_private_networks",
        "false",
        "Allow fetching from loopback, private and link-local addresses (off: protects your network "
        "from URLs that point inside it).",
        _parse_bool,
    ),
    Setting("max_body_bytes", "10485760", "Largest response body Storyline downloads (bytes).", _parse_positive_int),
    Setting("max_record_bytes", "10485760", "Largest record Storyline imports: a JSONL line, a page or a text file "
            "(bytes); a larger one is skipped with a message.", _parse_positive_int),
    Setting("max_article_chars", "200000", "Longest article text Storyline stores (characters); a longer one is "
            "cut at a paragraph, with a message (a news report is rarely over 50,000).", _parse_positive_int),
    Setting("fetch_timeout", "60", "Time limit for one whole HTTP request (seconds).", _parse_positive_int),
    Setting("fetch_workers", "8", "Sources fetched at the same time (all hosts together).", _parse_positive_int),
    Setting("per_host_concurrency", "2", "Requests to one host at the same time.", _parse_positive_int),
    Setting("per_host_delay", "1.0", "Seconds between the start of two requests to one host.", _parse_seconds),
    Setting("parse_processes", "2", "Processes that parse and extract fetched documents (one per core).",
            _parse_positive_int),
    Setting("min_refresh_interval", "300", "Shortest time between two fetches of one source (seconds).",
            _parse_positive_int),
    Setting("max_refresh_interval", "86400", "Longest time between two fetches of one source (seconds).",
            _parse_positive_int),
    Setting("pause_after_failures", "10", "Consecutive failed fetches after which a source is paused.",
            _parse_positive_int),
    Setting("fetch_article_pages", "true", "Fetch the page of feed items that carry only a summary.",
            _parse_bool),
    Setting("raw_page_retention_days", "30", "Days the fetched HTML of an article is kept for `storyline "
            "reprocess` (0 keeps it forever).", _parse_int),
    Setting(
        "sqlite_readers",
        "4",
        "Size of the SQLite reader connection pool (writes always go through one connection).",
        _parse_positive_int,
    ),
    Setting("stories", "true", "Group articles into stories as they arrive (embeds each article).", _parse_bool),
    Setting("story_window_days", "30", "Days a story stays open to new articles after its latest one.",
            _parse_positive_int),
    Setting(
        "embedder",
        "onnx",
        "How articles are embedded: `onnx` (the bundled all-MiniLM-L6-v2, offline), `sentence-transformers` "
        "(a local model folder; needs torch and sentence-transformers installed) or `openai` (an "
        "OpenAI-compatible `/embeddings` server).",
        _parse_embedder,
    ),
    Setting(
        "embedder_model",
        "",
        "For `onnx`: a folder with `model.onnx` and `tokenizer.json` (empty: the bundled model). For "
        "`sentence-transformers`: the model folder. For `openai`: the model name (required).",
    ),
    Setting("embedder_url", "", "Base URL of the `openai` embedder, e.g. `http://127.0.0.1:8080/v1`."),
    Setting("embedder_api_key", "", "API key sent as a Bearer token to the `openai` embedder (empty: none)."),
    Setting(
        "embedder_threads",
        "0",
        "Threads the `onnx` embedder computes with (0: one per core).",
        _parse_thread_count,
    ),
    Setting("queue", "false", "PostgreSQL only: `storyline serve` puts source refreshes on a queue in the database "
            "and `storyline worker` processes (on any host) do them; false: serve fetches itself.", _parse_bool),
    Setting("queue_attempts", "5", "Times a queued refresh runs before it goes to the failed list (`storyline "
            "queue`), retried with growing waits in between.", _parse_positive_int),
    Setting("llm_url", "", "Base URL of an OpenAI-compatible chat server (llama.cpp, Ollama, vLLM, a hosted one) "
            "that writes story summaries and answers, e.g. `http://127.0.0.1:8080/v1` (empty: off, summaries "
            "stay extractive). Its sentences are kept only where the sentences they cite support them."),
    Setting("llm_model", "", "Model name sent to the `llm_url` server."),
    Setting("llm_api_key", "", "API key sent as a Bearer token to the `llm_url` server (empty: none)."),
    Setting("llm_timeout", "60", "Time limit for one whole request to the `llm_url` server (seconds); past it "
            "the extractive summary is kept.", _parse_positive_int),
)

_BY_NAME = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved settings. Build with :func:`load_settings`, change with ``dataclasses.replace``."""

    home: Path
    database_url: str
    host: str
    port: int
    base_url: str
    log_level: str
    page_size: int
    page_cache_seconds: float
    images: bool
    live_updates_seconds: float
    load_sample: bool
    sample_dir: str
    load_starter_feeds: bool
    contact_url: str
    allow_private_networks: bool
    max_body_bytes: int
    max_record_bytes: int
    max_article_chars: int
    fetch_timeout: int
    fetch_workers: int
    per_host_concurrency: int
    per_host_delay: float
    parse_processes: int
    min_refresh_interval: int
    max_refresh_interval: int
    pause_after_failures: int
    fetch_article_pages: bool
    raw_page_retention_days: int
    sqlite_readers: int
    stories: bool
    story_window_days: int
    embedder: str
    embedder_model: str
    embedder_url: str
    embedder_api_key: str = dataclasses.field(repr=False)  # a secret: kept out of logs and tracebacks
    embedder_threads: int
    queue: bool
    queue_attempts: int
    llm_url: str
    llm_model: str
    llm_api_key: str = dataclasses.field(repr=False)  # a secret: kept out of logs and tracebacks
    llm_timeout: int

    @property
    def resolved_database_url(self) -> str:
        """The store URL, with the SQLite default filled in from ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'storyline.db').resolve()}"

    @property
    def resolved_starter_feeds(self) -> Path:
        """The starter OPML shipped beside the sample."""
        return Path(__file__).resolve().parent / "data" / "feeds" / "starter.opml"

    @property
    def resolved_sample_dir(self) -> Path:
        """Where the bundled sample lives."""
        if self.sample_dir:
            return Path(self.sample_dir)
        return Path(__file__).resolve().parent / "data" / "sample"


if {f.name for f in dataclasses.fields(Settings)} != set(_BY_NAME):  # pragma: no cover
    raise RuntimeError("Settings fields and SETTINGS table disagree")


_SECRETS = frozenset({"embedder_api_key", "llm_api_key"})
_URL_PASSWORD = re.compile(r"(?<=://)([^:/@]*):[^@/]*@")


def shown_value(settings: Settings, name: str) -> str:
    """A setting's value as it may be printed: secrets and passwords in URLs hidden."""
    value = str(getattr(settings, name))
    if name in _SECRETS:
        return "(set, hidden)" if value else ""
    return _URL_PASSWORD.sub(r"\1:***@", value)


def _read_config_file(path: Path) -> dict[str, str]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(str(path), f"cannot read config file ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"config file is not valid TOML ({exc})") from exc
    values: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif not isinstance(value, (str, int, float)):
            raise ConfigError(str(path), f"setting {key!r} must be a string, number or boolean")
        values[key] = str(value)
    return values


def _parse_value(name: str, text: str, origin: str) -> Any:
    setting = _BY_NAME.get(name)
    if setting is None:
        known = ", ".join(sorted(_BY_NAME))
        raise ConfigError(origin, f"unknown setting {name!r} (known: {known})")
    try:
        return setting.parse(text)
    except ValueError as exc:
        raise ConfigError(origin, f"bad value for setting {name!r}: {exc}") from exc


def load_settings(
    overrides: Mapping[str, str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Resolve every setting from flags (``overrides``), environment, config file and defaults."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    raw: dict[str, tuple[str, str]] = {s.name: (s.default, "default") for s in SETTINGS}

    env_values = {
        s.name: environ[s.env_var] for s in SETTINGS if s.env_var in environ
    }
    home_text = overrides.get("home") or env_values.get("home") or raw["home"][0]
    if config_file is None and environ.get(ENV_PREFIX + "CONFIG"):
        config_file = Path(environ[ENV_PREFIX + "CONFIG"])
    if config_file is None:
        candidate = Path(home_text) / CONFIG_FILE_NAME
        config_file = candidate if candidate.is_file() else None
    if config_file is not None:
        for name, text in _read_config_file(config_file).items():
            raw[name] = (text, f"{config_file} ({name})")
    for name, text in env_values.items():
        raw[name] = (text, f"environment {ENV_PREFIX}{name.upper()}")
    for name, text in overrides.items():
        raw[name] = (text, f"flag --setting {name}")

    values = {name: _parse_value(name, text, origin) for name, (text, origin) in raw.items()}
    return Settings(**values)


def settings_markdown() -> str:
    """The settings table as the Markdown page ``docs/configuration.md``."""
    lines = [
        "# Configuration",
        "",
        "<!-- Generated by `storyline settings --markdown`; do not edit by hand. -->",
        "",
        "Every setting can be given, highest precedence first, as a CLI flag",
        "(`storyline --setting NAME VALUE ...`), an environment variable",
        "(`STORYLINE_NAME`), a line `name = value` in the config file",
        f"(`{CONFIG_FILE_NAME}` in the home folder, or the file named by `--config` /",
        "`STORYLINE_CONFIG`), or left at its default.",
        "",
        "| setting | environment variable | default | what it does |",
        "| --- | --- | --- | --- |",
    ]
    for s in SETTINGS:
        default = f"`{s.default}`" if s.default else "(empty)"
        lines.append(f"| `{s.name}` | `{s.env_var}` | {default} | {s.help} |")
    return "\n".join(lines) + "\n"
