"""Backups of the whole database while the server runs, and restoring one (`motions backup FILE`,
`motions restore FILE`; see docs/backup.md).

SQLite: Python's `sqlite3` online backup API copies the live database page by page, in steps,
inside one read transaction of the source. The database is in WAL mode (motions sets it on every
connection), so writers go on committing during the copy while the copy sees one snapshot: the
database as it stood when the copy began, every transaction wholly in it or wholly out. (Without
the read transaction held across the steps, SQLite restarts a copy each time another connection
writes; under a vote storm it might never finish.) The copy is switched to a rollback journal, so
that the backup is one self-contained file, and `PRAGMA integrity_check` must answer "ok".

PostgreSQL: `pg_dump --format=custom`, which reads one snapshot (a repeatable-read transaction)
and blocks no writer; the dump is then read back whole with `pg_restore` as its check.

Either way the backup is written to a temporary file beside the target (mode 0600: it holds
password hashes and tokens' hashes) and renamed into place only when it is complete and checked,
so a failure leaves no file, and an older backup of the same name stays as it was.

Restoring checks the file before touching anything (its kind matches the configured database;
our schema: an `alembic_version` this code knows; SQLite: integrity_check; PostgreSQL: the whole
archive reads), then SQLite: copies it into the live database with the backup API (one write
transaction: all or nothing; the live file keeps its WAL mode); PostgreSQL: `pg_restore --clean
--if-exists --no-owner --single-transaction`. Stop the server first: a server running through a
restore keeps serving what it had read and, on PostgreSQL, holds locks the restore waits for.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy.engine import make_url

from motions.errors import OperationError

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
STEP_PAGES = 1024  # pages copied per step of the SQLite backup (4 MB with 4 KB pages)
TIMEOUT = 30.0  # seconds SQLite waits for a lock


class BackupError(OperationError):
    status = 409
    code = "backup_failed"


@dataclass
class Backup:
    kind: str  # "sqlite" or "postgresql"
    path: Path
    size: int


@dataclass
class Check:
    """What a restored (or any) database holds: the audit chain and how many of each thing."""

    counts: dict[str, int] = field(default_factory=dict)
    audit: object = None  # motions.audit.log.Report

    @property
    def intact(self) -> bool:
        return self.audit is not None and self.audit.intact


# ---------------------------------------------------------------- kinds

def database_kind(uri: str) -> str:
    """"sqlite" or "postgresql" for the configured database; anything else cannot be backed up here."""
    backend = make_url(uri).get_backend_name()
    if backend in ("sqlite", "postgresql"):
        return backend
    raise BackupError(_("Backups work with SQLite and PostgreSQL, not with %(backend)s.", backend=backend))


def file_kind(path: Path) -> str | None:
    """"sqlite" (a SQLite database file), "postgresql" (a pg_dump custom-format archive) or None."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(_("There is no file %(file)s.", file=str(path))) from None
    except IsADirectoryError:
        raise BackupError(_("%(file)s is a folder, not a backup file.", file=str(path))) from None
    except OSError as error:
        raise BackupError(_("Cannot read %(file)s: %(error)s", file=str(path), error=error.strerror)) from None
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    return None


def _kind_name(kind: str) -> str:
    return _("a SQLite database") if kind == "sqlite" else _("a PostgreSQL dump (pg_dump --format=custom)")


def _sqlite_path(uri: str) -> Path:
    database = make_url(uri).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(_("The configured SQLite database is not a file: %(database)s", database=database or ":memory:"))
    return Path(database)


# ---------------------------------------------------------------- writing the file

def _target(path: Path) -> Path:
    target = Path(path).resolve()
    if target.is_dir():
        raise BackupError(_("%(file)s is a folder: give the backup file's name.", file=str(path)))
    if not target.parent.is_dir():
        raise BackupError(_("There is no folder %(folder)s.", folder=str(target.parent)))
    return target


def _write_then_rename(target: Path, write: Callable[[Path], None]) -> int:
    """`write` fills a temporary file beside the target; it is renamed into place only when write
    returns. Any failure removes the temporary file (and what SQLite may have left beside it)."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
    try:  # the rename itself on disk
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except OSError:
        pass
    return target.stat().st_size


# ---------------------------------------------------------------- SQLite

def _sqlite_problems(connection: sqlite3.Connection) -> list[str]:
    rows = [row[0] for row in connection.execute("PRAGMA integrity_check").fetchall()]
    return [] if rows == ["ok"] else rows


def _sqlite_revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _sqlite_backup(uri: str, target: Path, progress: Callable[[int, int], None] | None) -> None:
    source_path = _sqlite_path(uri)
    if not source_path.is_file():
        raise BackupError(_("There is no database file %(file)s.", file=str(source_path)))

    def write(tmp: Path) -> None:
        try:
            # a plain connection (a read-only one cannot open a WAL database whose -shm file is gone);
            # it only reads, and the file was found above, so none is created
            source = sqlite3.connect(source_path, timeout=TIMEOUT, isolation_level=None)
            with closing(source), closing(sqlite3.connect(tmp, timeout=TIMEOUT, isolation_level=None)) as copy:
                # one snapshot for every step: a read transaction held across them (WAL: writers go on)
                source.execute("BEGIN")
                source.execute("SELECT count(*) FROM sqlite_master").fetchone()
                source.backup(copy, pages=STEP_PAGES,
                              progress=(lambda _status, remaining, total: progress(total - remaining, total))
                              if progress else None)
                source.execute("COMMIT")
                copy.execute("PRAGMA journal_mode=DELETE").fetchone()  # one self-contained file
                problems = _sqlite_problems(copy)
                if problems:
                    raise BackupError(_("The copy failed its integrity check: %(problems)s",
                                        problems="; ".join(problems[:5])))
                if _sqlite_revision(copy) is None:
                    raise BackupError(_("The database has no schema version (alembic_version): is it a motions "
                                        "database? Run “motions init-db” first."))
        except sqlite3.Error as error:
            raise BackupError(_("The SQLite backup failed: %(error)s", error=str(error))) from None

    _write_then_rename(target, write)


def _check_sqlite_file(path: Path) -> str:
    """The file's schema revision, once it has passed the checks; BackupError otherwise."""
    try:
        with closing(sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=TIMEOUT)) as backup:
            problems = _sqlite_problems(backup)
            if problems:
                raise BackupError(_("%(file)s fails SQLite's integrity check: %(problems)s", file=str(path),
                                    problems="; ".join(problems[:5])))
            revision = _sqlite_revision(backup)
    except sqlite3.Error as error:
        raise BackupError(_("%(file)s cannot be read as a SQLite database: %(error)s", file=str(path),
                            error=str(error))) from None
    if revision is None:
        raise BackupError(_("%(file)s is a SQLite database but not a motions backup: it has no alembic_version.",
                            file=str(path)))
    return revision


def _sqlite_restore(uri: str, path: Path) -> None:
    live = _sqlite_path(uri)
    if not live.parent.is_dir():
        raise BackupError(_("There is no folder %(folder)s.", folder=str(live.parent)))
    if live.exists() and os.path.samefile(live, path):
        raise BackupError(_("%(file)s is the configured database itself.", file=str(path)))
    try:
        backup = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=TIMEOUT)
        with closing(backup), closing(sqlite3.connect(live, timeout=TIMEOUT, isolation_level=None)) as target:
            # pages=-1: one step, so the live database is written in one transaction (all or nothing);
            # a live database in WAL mode stays in WAL mode
            backup.backup(target, pages=-1)
            problems = _sqlite_problems(target)
    except sqlite3.Error as error:
        raise BackupError(_("The restore failed: %(error)s", error=str(error))) from None
    if problems:
        raise BackupError(_("The restored database fails SQLite's integrity check: %(problems)s",
                            problems="; ".join(problems[:5])))


# ---------------------------------------------------------------- PostgreSQL

def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(_("%(program)s is not installed (or not on PATH): it comes with PostgreSQL's client "
                            "programs, e.g. apt-get install postgresql-client.", program=name))
    return found


def _pg_target(uri: str) -> tuple[str, dict]:
    """(a libpq connection URL without the password, the environment with PGPASSWORD): never a
    password on a command line, where `ps` shows it."""
    url = make_url(uri)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run(command: list[str], env: dict | None = None, what: str = "") -> subprocess.CompletedProcess:
    result = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()[-8:]
        raise BackupError(_("%(what)s failed (exit %(code)d): %(message)s", what=what or Path(command[0]).name,
                            code=result.returncode, message="\n".join(message) or "-"))
    return result


def _check_pg_file(path: Path) -> str:
    """The archive's schema revision, once it reads whole; BackupError otherwise."""
    pg_restore = _pg_tool("pg_restore")
    listing = _run([pg_restore, "--list", str(path)], what="pg_restore --list").stdout.decode(errors="replace")
    if not any(line.split()[3:6] == ["TABLE", "public", "alembic_version"] for line in listing.splitlines()
               if not line.startswith(";") and len(line.split()) >= 6):
        raise BackupError(_("%(file)s is a PostgreSQL dump but not a motions backup: it has no alembic_version.",
                            file=str(path)))
    # the schema version, read from the archive without a database
    data = _run([pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(path)],
                what="pg_restore").stdout.decode(errors="replace").splitlines()
    revision = None
    for i, line in enumerate(data):
        if line.startswith("COPY ") and "alembic_version" in line and i + 1 < len(data) and data[i + 1] != "\\.":
            revision = data[i + 1].split("\t")[0]
    if revision is None:
        raise BackupError(_("%(file)s has no schema version (alembic_version is empty).", file=str(path)))
    # every block of the archive reads and decompresses
    _run([pg_restore, f"--file={os.devnull}", str(path)], what="pg_restore")
    return revision


def _pg_backup(uri: str, target: Path) -> None:
    pg_dump = _pg_tool("pg_dump")
    _pg_tool("pg_restore")  # needed for the check: say so before dumping
    conninfo, env = _pg_target(uri)

    def write(tmp: Path) -> None:
        _run([pg_dump, "--format=custom", "--no-password", f"--file={tmp}", f"--dbname={conninfo}"], env=env,
             what="pg_dump")
        _check_pg_file(tmp)

    _write_then_rename(target, write)


def _pg_restore(uri: str, path: Path) -> None:
    pg_restore = _pg_tool("pg_restore")
    conninfo, env = _pg_target(uri)
    _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction", "--no-password",
          f"--dbname={conninfo}", str(path)], env=env, what="pg_restore")


# ---------------------------------------------------------------- the operations

def _known_revisions() -> tuple[set[str], str | None]:
    from alembic.script import ScriptDirectory

    from motions import ROOT

    script = ScriptDirectory(str(ROOT / "migrations"))
    return {rev.revision for rev in script.walk_revisions()}, script.get_current_head()


def backup(uri: str, path: Path | str, progress: Callable[[int, int], None] | None = None) -> Backup:
    """Write a consistent copy of the database at `uri` to `path` while the server runs.

    progress(done, total): SQLite only, called after each step with pages copied and pages in all."""
    kind = database_kind(uri)
    target = _target(Path(path))
    if kind == "sqlite":
        _sqlite_backup(uri, target, progress)
    else:
        _pg_backup(uri, target)
    return Backup(kind, target, target.stat().st_size)


def inspect(uri: str, path: Path | str) -> tuple[str, str, bool]:
    """Check a backup file against the configured database without touching it:
    (kind, schema revision, whether the revision is this code's newest). BackupError when it
    cannot be restored here."""
    path = Path(path)
    kind, wanted = file_kind(path), database_kind(uri)
    if kind is None:
        raise BackupError(_("%(file)s is not a backup: neither a SQLite database nor a PostgreSQL dump "
                            "(pg_dump --format=custom).", file=str(path)))
    if kind != wanted:
        raise BackupError(_("%(file)s is %(found)s, but the configured database is %(wanted)s: restore it "
                            "into a database of its own kind.", file=str(path), found=_kind_name(kind),
                            wanted="SQLite" if wanted == "sqlite" else "PostgreSQL"))
    revision = _check_sqlite_file(path) if kind == "sqlite" else _check_pg_file(path)
    known, head = _known_revisions()
    if revision not in known:
        raise BackupError(_("%(file)s has the schema version %(revision)s, which this version of motions does not "
                            "know (a backup made by a newer version?).", file=str(path), revision=revision))
    return kind, revision, revision == head


def restore(uri: str, path: Path | str) -> tuple[str, str, bool]:
    """Replace the database at `uri` with the backup at `path`. Stop the server first.

    Nothing is touched unless the file passes `inspect`. Returns what inspect returned. Inside an
    app context the app's own connections are closed first (they would hold locks) and after."""
    path = Path(path)
    kind, revision, newest = inspect(uri, path)
    _close_connections()
    try:
        if kind == "sqlite":
            _sqlite_restore(uri, path)
        else:
            _pg_restore(uri, path)
    finally:
        _close_connections()
    return kind, revision, newest


def _close_connections() -> None:
    from flask import has_app_context

    if has_app_context():
        from motions.extensions import db

        db.session.remove()
        db.engine.dispose()


def check() -> Check:
    """The configured database's audit chain and counts (needs an app context)."""
    from sqlalchemy import func, select

    from motions import audit
    from motions.amendments.models import Amendment
    from motions.auth.models import Person
    from motions.extensions import db
    from motions.meetings.models import Meeting
    from motions.polls.models import Ballot

    counts = {name: db.session.execute(select(func.count()).select_from(model)).scalar_one()
              for name, model in (("meetings", Meeting), ("people", Person), ("amendments", Amendment),
                                  ("ballots", Ballot))}
    report = audit.verify_report()
    db.session.remove()
    return Check(counts=counts, audit=report)
