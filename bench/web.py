"""Page speed: requests/s and latency of the web app's pages under wrk, on a large store or the sample.

    .venv/bin/python bench/web.py                          # 100,000 articles (SQLite), built first
    .venv/bin/python bench/web.py --home /tmp/web --keep   # keep the store; then --reuse to run again
    .venv/bin/python bench/web.py --sample                 # the bundled sample (664 articles)
    .venv/bin/python bench/web.py --database-url postgresql+psycopg://me@/web   # the large store on PostgreSQL

The store is bench/search.py's large one (``--n`` articles from the clustering corpora with
60 outlets, times over a year, ~5 articles a story, a random vector per article), or the
sample loaded through every stage. ``storyline serve`` runs on it as a user starts it (one
process), and for each page wrk (the distribution's ``wrk`` package) measures:

- one connection for ``--seconds``: latency p50 / p99, close to the server's own time per
  request (loopback adds ~0.1 ms);
- ``--connections`` (32) connections for ``--seconds``: requests/s and latency p50 / p99,
  which include the wait for the server at that load.

Pages: the home page, a story of a dozen articles, an article, ``/latest``, a search and
``/api/stories``. The first request to each is timed apart (caches are cold). wrk runs on the
same two cores as the server and takes some of them. Prints a line per page and then one
JSON object. Targets (issue 15): at 100,000 articles, server-side p50 <= 10 ms and
p99 <= 30 ms at 32 connections, and the home page >= 1,000 requests/s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "bench")]

from search import build  # noqa: E402

from storyline.app import Storyline, make_app  # noqa: E402
from storyline.config import load_settings  # noqa: E402

SCRIPT = Path(sys.executable).with_name("storyline")
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pages(app: Storyline) -> dict[str, str]:
    """The paths measured: one of each kind of page, picked from what the store holds."""
    cards, _ = app.top_stories(1)
    if not cards:
        raise SystemExit("web: the store has no stories")
    # A story of about a dozen articles if there is one (a typical busy story), else the top one.
    story = min(cards, key=lambda c: abs(c.stats.articles - 12))
    return {
        "home": "/",
        "story": f"/stories/{story.story_id}",
        "article": f"/articles/{story.lead.id}",
        "latest": "/latest",
        "search": "/search?q=police",
        "api_stories": "/api/stories",
    }


def serve(home: Path, database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYLINE_")}
    args = [str(SCRIPT), "--home", str(home)]
    if database_url:
        args += ["--database-url", database_url]
    # stories=false: the large store's stories come from its build (bench/search.py), not from the
    # stories stage, which would first replay every article to catch up (minutes of both cores).
    # Pages read stories from the store either way.
    for name, value in {"load_sample": "false", "load_starter_feeds": "false", "port": str(port),
                        "log_level": "warning", "stories": "false"}.items():
        args += ["--setting", f"{name}={value}"]
    with log.open("ab") as out:
        return subprocess.Popen([*args, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"web: storyline serve exited ({process.returncode}); see {log}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"web: storyline serve did not answer within {timeout:.0f} s; see {log}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def wait_until_idle(pid: int, timeout: float = 3600, window: float = 5.0) -> float:
    """Wait while ``serve`` catches up in the background; seconds waited.

    A store built by bench/search.py has no summaries or entity joins yet: the stages that
    keep them make them when ``serve`` starts (minutes at 100,000 articles, both cores busy).
    Pages are measured on the steady state a running instance is in, once that is done.
    """
    began = time.monotonic()
    last_report = began
    while time.monotonic() - began < timeout:
        before = cpu_seconds(pid)
        time.sleep(window)
        busy = (cpu_seconds(pid) - before) / window
        if busy < 0.05:
            return time.monotonic() - began
        if time.monotonic() - last_report > 60:
            print(f"web: serve is catching up in the background ({busy:.0%} of a core); waiting", flush=True)
            last_report = time.monotonic()
    raise SystemExit(f"web: serve was still busy after {timeout:.0f} s")


def first_request_ms(url: str) -> float:
    began = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        response.read()
    return round((time.perf_counter() - began) * 1000, 1)


def wrk(url: str, *, connections: int, seconds: float) -> dict[str, Any]:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "10s", url],
                         capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    latency: dict[str, float] = {}
    for label, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, flags=re.M):
        latency[f"p{label}_ms"] = round(float(value) * _UNITS[unit], 2)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sockets = re.search(r"Socket errors: (.*)", out)
    return {"requests_per_s": float(rps.group(1)) if rps else 0.0, **latency,
            "non_2xx": int(errors.group(1)) if errors else 0, "socket_errors": sockets.group(1) if sockets else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="articles in the large store (default 100,000)")
    parser.add_argument("--sample", action="store_true", help="measure the bundled sample instead")
    parser.add_argument("--home", type=Path, help="folder for the store (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="use the store already in --home")
    parser.add_argument("--keep", action="store_true", help="keep --home afterwards")
    parser.add_argument("--database-url", default="", help="the store's database (default: SQLite in --home)")
    parser.add_argument("--seconds", type=float, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="connections of the loaded run (default 32)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("web: wrk is not installed (Debian/Ubuntu: apt-get install wrk)")

    home = args.home or Path(tempfile.mkdtemp(prefix="storyline-web-bench-"))
    values = {"home": str(home), "load_sample": "false"}
    if args.database_url:
        values["database_url"] = args.database_url
    app = make_app(load_settings(values, environ={}))
    try:
        if not args.reuse:
            began = time.perf_counter()
            if args.sample:
                app.load_sample()
                app.wait_for_stories()
            else:
                build(app, args.n)
            print(json.dumps({"built": app.count_articles(), "seconds": round(time.perf_counter() - began, 1)}),
                  flush=True)
        articles = app.count_articles()
        paths = pages(app)
    finally:
        app.close()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = home / "bench-web-serve.log"
    server = serve(home, args.database_url, port, log)
    results: dict[str, Any] = {}
    try:
        wait_until_up(base, server, log)
        waited = wait_until_idle(server.pid)
        print(f"web: serve idle after {waited:.0f} s", flush=True)
        for name, path in paths.items():
            first = first_request_ms(base + path)
            single = wrk(base + path, connections=1, seconds=args.seconds)
            loaded = wrk(base + path, connections=args.connections, seconds=args.seconds)
            load = os.getloadavg()[0]
            results[name] = {"path": path, "first_ms": first, "one_connection": single,
                             f"{args.connections}_connections": loaded, "load": round(load, 2)}
            print(f"{name:12} {path:28} first {first:8.1f} ms | 1 conn p50 {single.get('p50_ms')} ms "
                  f"p99 {single.get('p99_ms')} ms | {args.connections} conns {loaded['requests_per_s']:.0f} req/s "
                  f"p50 {loaded.get('p50_ms')} ms p99 {loaded.get('p99_ms')} ms | load {load:.2f}", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        if not args.keep and not args.home:
            shutil.rmtree(home, ignore_errors=True)
    print(json.dumps({"bench": "web.pages", "store": "sample" if args.sample else f"{articles} articles",
                      "dialect": "postgresql" if args.database_url else "sqlite", "cores": os.cpu_count(),
                      "pages": results,
                      "target": {"p50_ms": 10, "p99_ms": 30, "home_requests_per_s": 1000, "connections": 32}}))


if __name__ == "__main__":
    main()
