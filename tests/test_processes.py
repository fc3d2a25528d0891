"""Worker processes end with their parent, even when it is killed (issue 16, defect 14)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.test_cli import SCRIPT, clean_env


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # PPid is the 4th field of stat, 2nd after the name
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_worker_processes_exit_when_serve_is_killed(tmp_path: Path) -> None:
    env = {**clean_env(), "STORYLINE_LOAD_SAMPLE": "false", "STORYLINE_LOAD_STARTER_FEEDS": "false",
           "STORYLINE_PORT": str(free_port()), "STORYLINE_PARSE_PROCESSES": "2"}
    # Output to a file, not a pipe: orphaned workers would hold a pipe open.
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([str(SCRIPT), "--home", str(tmp_path / "home"), "serve"], env=env,
                              stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 120
        workers: list[int] = []
        # The pool's workers are the python processes the server started (spawn: a resource tracker too).
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.5)
            workers = children_of(server.pid)
        assert len(workers) >= 2, f"serve started no worker processes: {workers}"
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(alive(w) for w in workers):
            time.sleep(0.5)
        left = [w for w in workers if alive(w)]
        for pid in left:  # do not leave them to the next test
            os.kill(pid, signal.SIGKILL)
        assert left == [], "worker processes outlived the killed server"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()
