"""A throwaway PostgreSQL server for the tests: ``initdb`` into a temporary folder, listening only on a unix socket in
that folder (no TCP port to collide with), trust authentication, stopped and deleted at the end of the session.

PostgreSQL refuses to run as root; as root, the server runs as the ``postgres`` user (Debian's package makes it),
else ``nobody``, in a folder handed to that user. Without PostgreSQL the tests that need it skip with the reason
(.ci/run installs Debian's ``postgresql``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

ROLE = "atelier"  # the superuser initdb creates; trust authentication, so any password is accepted and ignored
PORT = 5432  # only names the socket file; the folder is ours alone


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl: on PATH, else Debian's /usr/lib/postgresql/<version>/bin (newest)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return debian[-1].parent if debian else None


def _server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name).pw_name
        except KeyError:
            continue
    pytest.skip("running as root, and neither a 'postgres' nor a 'nobody' user to run PostgreSQL as")


class PgServer:
    """One PostgreSQL server in its own folder. ``url(db)`` is a SQLAlchemy URL over the unix socket."""

    def __init__(self) -> None:
        folder = binaries()
        if folder is None:
            pytest.skip("PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin)")
        self.bin, self.user = folder, _server_user()
        self.folder = Path(tempfile.mkdtemp(prefix="atelier-pg-"))  # short: a socket path has ~100 bytes
        if self.user:
            shutil.chown(self.folder, self.user)
        self.data = self.folder / "data"
        # -N, fsync=off: a throwaway server needs no durability, and the tests run faster without it
        self._run("initdb", "-D", self.data, "-U", ROLE, "--auth=trust", "-E", "UTF8", "--no-locale", "-N")
        self.start()

    def _run(self, program: str, *args: str | Path) -> None:
        done = subprocess.run([self.bin / program, *map(str, args)], user=self.user, cwd=self.folder,
                              capture_output=True, text=True, timeout=120, check=False)
        if done.returncode:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> None:
        options = f"-k {self.folder} -c listen_addresses='' -p {PORT} -c fsync=off -c full_page_writes=off"
        self._run("pg_ctl", "start", "-w", "-D", self.data, "-l", self.folder / "server.log", "-o", options)

    def stop(self) -> None:
        self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", self.data)

    def url(self, database: str = "postgres", password: str | None = None) -> str:
        login = f"{ROLE}:{password}" if password else ROLE
        return f"postgresql+psycopg://{login}@/{database}?host={self.folder}&port={PORT}"

    def new_database(self) -> str:
        """The URL of a new, empty database: each test gets its own."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")  # CREATE DATABASE refuses transactions
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def close(self) -> None:
        """Stop the server (if running) and delete its folder."""
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
