"""A throwaway PostgreSQL server for the test session, started with initdb and pg_ctl.

Where the server comes from, first match wins:

1. ``TEST_POSTGRES_URL`` (``postgresql+asyncpg://user@host:port/db``): an existing server
   whose user may create databases; nothing is started.
2. ``initdb`` and ``pg_ctl`` in ``PATH`` or in ``/usr/lib/postgresql/*/bin`` (Debian's
   packages): a cluster in a temporary directory (in /dev/shm when there is one) on a free
   port, fsync off, trust auth on 127.0.0.1 only, stopped and removed at the end. As root
   (initdb refuses to run as root) it runs as the ``postgres`` user, or ``nobody``, through
   ``runuser``.
3. Neither: :func:`find_binaries` returns None and the PostgreSQL tests are skipped.

Each test gets a fresh database cloned from a template migrated once
(``CREATE DATABASE … TEMPLATE``), which takes milliseconds; it is dropped afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import make_url

ENGINES = ("sqlite", "postgresql")
URL_ENV = "TEST_POSTGRES_URL"
SKIP_REASON = (
    "PostgreSQL not found: no initdb/pg_ctl in PATH or /usr/lib/postgresql/*/bin "
    f"(apt-get install postgresql) and no {URL_ENV}"
)
T = TypeVar("T")


def find_binaries() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None."""
    candidates: list[Path] = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)

    def version(path: str) -> int:
        name = Path(path).parent.name
        return int(name) if name.isdigit() else 0

    candidates += [
        Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    ]
    for directory in candidates:
        if all((directory / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scratch() -> str | None:
    """Memory-backed /dev/shm when there is one: cloning a database there takes ~15 ms,
    on a disk ~400 ms even with fsync off (None: the system's temporary directory)."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


def _unprivileged_user() -> str | None:
    """The user to run the server as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists")


class _Loop:
    """An event loop in a thread of its own, for admin work from synchronous fixtures
    (apart from the loops pytest-asyncio gives each test)."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(timeout=60)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


class PostgresServer:
    """A server the tests may create and drop databases on."""

    def __init__(
        self,
        url: str,
        *,
        directory: Path | None = None,
        bindir: Path | None = None,
        run_as: list[str] | None = None,
    ) -> None:
        #: SQLAlchemy URL of the maintenance database (``postgres``)
        self.url = url
        self._directory = directory
        self._bindir = bindir
        self._run_as = run_as or []
        self._loop = _Loop()
        self._admin: Any = None
        self._names = itertools.count(1)
        self._prefix = f"t{os.getpid()}_"

    # --- life cycle -------------------------------------------------------------------------

    @classmethod
    def from_env(cls) -> PostgresServer | None:
        url = os.environ.get(URL_ENV)
        if url:
            return cls(url)
        bindir = find_binaries()
        return cls.start(bindir) if bindir is not None else None

    @classmethod
    def start(cls, bindir: Path) -> PostgresServer:
        user = _unprivileged_user()
        # not under pytest's tmp dirs: those are private to root, the server user cannot enter
        directory = Path(tempfile.mkdtemp(prefix="spasibot-pg-", dir=_scratch()))
        data = directory / "data"
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(directory, entry.pw_uid, entry.pw_gid)
        prefix = ["runuser", "-u", user, "--"] if user is not None else []

        def run(*args: str) -> None:
            done = subprocess.run(
                [*prefix, *args], capture_output=True, text=True, cwd=directory, check=False
            )
            if done.returncode != 0:
                raise RuntimeError(f"{args[0]} failed:\n{done.stdout}\n{done.stderr}")

        try:
            run(
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            )
            for attempt in range(3):  # a free port may be taken before the server binds it
                port = _free_port()
                options = " ".join(
                    [
                        f"-p {port}",
                        "-c listen_addresses=127.0.0.1",
                        f"-c unix_socket_directories={directory}",
                        "-c fsync=off",
                        "-c synchronous_commit=off",
                        "-c full_page_writes=off",
                        "-c max_connections=200",
                        "-c shared_buffers=64MB",
                    ]
                )
                try:
                    run(
                        str(bindir / "pg_ctl"),
                        "-D",
                        str(data),
                        "-l",
                        str(directory / "server.log"),
                        "-o",
                        options,
                        "-w",
                        "-t",
                        "60",
                        "start",
                    )
                    break
                except RuntimeError as exc:
                    if attempt == 2:
                        log = directory / "server.log"
                        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                        raise RuntimeError(f"{exc}\nserver.log:\n{tail}") from None
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        return cls(
            f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres",
            directory=directory,
            bindir=bindir,
            run_as=prefix,
        )

    def stop(self) -> None:
        if self._admin is not None:
            self._loop.run(self._admin.close())
            self._admin = None
        self._loop.close()
        if self._directory is None or self._bindir is None:
            return
        subprocess.run(
            [
                *self._run_as,
                str(self._bindir / "pg_ctl"),
                "-D",
                str(self._directory / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self._directory, ignore_errors=True)

    # --- databases ----------------------------------------------------------------------------

    def url_of(self, name: str) -> str:
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        async def go() -> None:
            if self._admin is None:
                import asyncpg

                u = make_url(self.url)
                self._admin = await asyncpg.connect(
                    host=u.host,
                    port=u.port,
                    user=u.username,
                    password=u.password,
                    database=u.database,
                )
            await self._admin.execute(sql)

        self._loop.run(go())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the admin loop (for migrating the template)."""
        return self._loop.run(coro)

    def create_database(self, template: str | None = None) -> str:
        """A new empty database (or a copy of ``template``); returns its name."""
        name = f"{self._prefix}{next(self._names)}"
        source = f" TEMPLATE {template}" if template else ""
        self._execute(f"CREATE DATABASE {name}{source}")
        return name

    def make_template(self, name: str) -> None:
        """Mark a database as a template (others may be cloned from it, nobody connects)."""
        self._execute(f"ALTER DATABASE {name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")

    def drop_database(self, name: str) -> None:
        self._execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def drop_template(self, name: str) -> None:
        self._execute(f"ALTER DATABASE {name} WITH IS_TEMPLATE false")
        self.drop_database(name)
