"""A real PostgreSQL server for the test session: initdb + pg_ctl in a temp folder.

The server refuses to run as root, so as root it runs as the ``postgres`` system user;
it listens only on a unix socket in its folder (no TCP port at all).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install the distribution's "
    "`postgresql` package (`make test` does this when run as root), e.g. "
    "`sudo apt-get install postgresql`."
)


def find_bindir() -> Path | None:
    """The newest PostgreSQL bin folder on the machine, or None."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    )
    for folder in candidates:
        if Path(folder, "initdb").exists():
            return Path(folder)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class PgServer:
    bindir: Path
    folder: Path
    as_user: list[str]

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.folder}"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust",
                  "-U", "postgres", "-E", "UTF8", "--no-locale")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", self._options(),
                  "-l", str(self.folder / "server.log"), "-w", "-t", "60", "start")

    def pause(self) -> None:
        """Stop the server, keeping its data (``resume`` starts it again): a database outage."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        """Start the server again after ``pause``."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", self._options(),
                  "-l", str(self.folder / "server.log"), "-w", "-t", "60", "start")

    def _options(self) -> str:
        return f"-k {self.folder} -c listen_addresses='' -F -c max_connections=200"

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def start_server() -> PgServer:
    """Start a throwaway server; raises RuntimeError with INSTALL_HINT when there is none."""
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError(INSTALL_HINT)
    folder = Path(tempfile.mkdtemp(prefix="storyline-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    server = PgServer(bindir=bindir, folder=folder, as_user=as_user)
    server.start()
    return server
