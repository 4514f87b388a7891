"""The `motions` command group (a Flask CLI group: `motions run`, `motions db upgrade`, ...)."""
from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_babel import gettext as _

from motions.errors import OperationError


def _nfc(text: str) -> str:
    """Text is NFC-normalised on input, from the command line as from the web and the API."""
    return unicodedata.normalize("NFC", text)


def _fail(error: OperationError) -> None:
    lines = [error.message] + [f"  {name}: {msg}" for name, msg in error.fields.items()]
    raise click.ClickException("\n".join(lines))


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database to the newest schema (runs the migrations)."""
    from flask_migrate import upgrade

    upgrade()
    where = current_app.config["SQLALCHEMY_DATABASE_URI"].split("@")[-1]  # never the password
    click.echo(_("Database ready: %(where)s", where=where))


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Create the founding meeting with its draft platform and demo people (idempotent)."""
    from motions.demo import load_demo

    logins = load_demo(amendments=True)
    click.echo(_("Demo meeting: %(path)s", path="/m/founding-meeting/"))
    click.echo(_("Demo sign-ins (email / password):"))
    for role, email, password in logins:
        click.echo(f"  {role:<18} {email:<26} {password}")


@click.command("import-document")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--meeting", "slug", required=True, help="The meeting's short name.")
@click.option("--title", help="Title (default: the file name).")
@click.option("--format", "fmt", type=click.Choice(["markdown", "text"]), help="Default: from the file's extension.")
@click.option("--kind", type=click.Choice(["platform", "motion"]), default="platform", show_default=True)
@with_appcontext
def import_document(file: Path, slug: str, title: str | None, fmt: str | None, kind: str) -> None:
    """Import FILE into a meeting as a draft document split into clauses."""
    from motions.documents import operations as docs
    from motions.meetings import operations as meetings

    from motions.meetings.delegate_csv import decode

    fmt = fmt or ("markdown" if file.suffix.lower() in (".md", ".markdown") else "text")
    try:
        meeting = meetings.get_meeting(slug)
        document = docs.import_document(meeting, title=_nfc(title or file.stem),
                                        text=decode(file.read_bytes()),
                                        format=fmt, kind=kind, by_id=None)
    except OperationError as error:
        _fail(error)
    version = document.version()
    click.echo(_("Imported document %(id)d “%(title)s”: %(n)d clauses, lines 1–%(last)d.", id=document.id,
                 title=document.title, n=len(version.clause_texts), last=version.clause_texts[-1].last_line))


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password", required=True)
@click.option("--organisation", default="")
@click.option("--organiser", is_flag=True, help="May create meetings.")
@click.option("--meeting", "slug", help="Add the person to this meeting ...")
@click.option("--role", "roles", multiple=True, type=click.Choice(["delegate", "chair", "secretary", "organiser"]),
              help="... with this role (repeat for several).")
@click.option("--vote-weight", type=int, default=1, show_default=True)
@click.option("--print-token", is_flag=True, help="Print only a bearer token on stdout.")
@with_appcontext
def create_user(email, name, password, organisation, organiser, slug, roles, vote_weight, print_token) -> None:
    """Create (or update) a person, optionally with roles in a meeting.

    With --print-token, stdout holds only a new bearer token for the API."""
    from motions.auth import operations as auth_ops
    from motions.meetings import operations as meetings

    name, organisation = _nfc(name), _nfc(organisation)  # the password is kept as typed
    if roles and not slug:
        raise click.UsageError(_("--role needs --meeting: roles belong to a meeting."))
    try:
        # the meeting first, so that a wrong --meeting changes nothing
        meeting = meetings.get_meeting(slug) if slug else None
        if meeting is not None:
            meetings.validate_person({"name": name, "email": email, "organisation": organisation,
                                      "roles": list(roles) or ["delegate"], "vote_weight": vote_weight})
        person = meetings.save_person({"name": name, "email": email, "password": password,
                                       "organisation": organisation}, organiser=organiser or None)
        if meeting is not None:
            meetings.add_person(meeting, {"name": name, "email": email, "organisation": organisation,
                                          "roles": list(roles) or ["delegate"], "vote_weight": vote_weight})
    except OperationError as error:
        _fail(error)
    if print_token:
        click.echo(auth_ops.issue_token(person))  # nothing else on stdout: scripts read the token
    elif slug:
        click.echo(_("Saved %(email)s in %(meeting)s as %(roles)s.", email=person.email, meeting=slug,
                     roles=", ".join(roles or ["delegate"])))
    else:
        click.echo(_("Saved %(email)s.", email=person.email))


@click.group("audit")
def audit_group() -> None:
    """The audit log of every meeting."""


@audit_group.command("verify")
@click.option("--meeting", "slug", help="Check only this meeting's log (its short name).")
@with_appcontext
def audit_verify(slug: str | None) -> None:
    """Recompute every hash and link of the audit log; exit 1 and say where when the chain is broken."""
    from flask_babel import ngettext

    from motions import audit
    from motions.meetings import operations as meetings

    try:
        meeting = meetings.get_meeting(slug) if slug else None
    except OperationError as error:
        _fail(error)
    report = audit.verify_report(meeting.id if meeting is not None else None)
    for problem in report.problems:
        click.echo(_("meeting %(slug)s: %(problem)s", slug=report.slugs.get(problem.meeting_id, problem.meeting_id),
                     problem=audit.describe(problem)), err=True)
    if report.problems:
        sys.exit(1)
    click.echo(_("audit log: %(entries)s in %(meetings)s, chain intact",
                 entries=ngettext("%(num)d entry", "%(num)d entries", report.entries),
                 meetings=ngettext("%(num)d meeting", "%(num)d meetings", report.meetings)))


@click.command("export")
@click.option("--meeting", "slug", required=True, help="The meeting's short name.")
@click.option("--document", "document_id", type=int, help="The document's id (left out with --record).")
@click.option("--record", is_flag=True, help="The record of proceedings instead of a document.")
@click.option("--election", "election_id", type=int,
              help="A counted election's id: its result sheet (csv or pdf) or its ballot papers (blt).")
@click.option("--format", "fmt", required=True,
              help="md, txt, html, pdf, docx or odt; with --redline html, pdf or docx; with --record csv, xlsx, "
                   "html or pdf; with --election csv, pdf or blt.")
@click.option("--version", "version", type=click.IntRange(min=1), help="The version (default: the current one).")
@click.option("--redline", is_flag=True, help="The changes from --from (default: the draft) to --version.")
@click.option("--from", "old", type=click.IntRange(min=1), help="With --redline: the older version (default 1).")
@click.option("--lang", type=click.Choice(["en", "zh_Hans", "zh_Hant"]), default="en", show_default=True,
              help="The language of the labels.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write ('-' for standard output).")
@with_appcontext
def export(slug, document_id, record, election_id, fmt, version, redline, old, lang, output: Path) -> None:
    """Export a document, a redline of two versions, the record of proceedings, or an election's
    result sheet or ballot papers as a file."""
    import os
    import tempfile

    from motions.documents import operations as docs
    from motions.elections import operations as elections
    from motions.errors import NotFound
    from motions.exports import reading
    from motions.meetings import operations as meetings

    if [record, document_id is not None, election_id is not None].count(True) != 1:
        raise click.UsageError(_("Give one of --document ID, --record or --election ID."))
    with current_app.test_request_context(headers={"Accept-Language": lang.replace("_", "-")}):
        try:
            meeting = meetings.get_meeting(slug)
            if record:
                made = reading.record_file(meeting, fmt)
            elif election_id is not None:
                election = elections.get_election(election_id)
                if election.meeting_id != meeting.id:
                    raise NotFound(_("There is no such election in this meeting."))
                made = reading.election_file(election, fmt)
            else:
                document = docs.get_document(document_id)
                if document.meeting_id != meeting.id:
                    raise NotFound(_("There is no such document in this meeting."))
                made = reading.document_file(document, fmt, version=version, redline=redline, old=old)
        except OperationError as error:
            _fail(error)
    if str(output) == "-":
        sys.stdout.buffer.write(made.body)
        return
    # the whole file or nothing: written beside the target, then moved into place
    target = output.resolve()
    if not target.parent.is_dir():
        raise click.ClickException(_("There is no folder %(folder)s.", folder=str(target.parent)))
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(made.body)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    click.echo(_("Wrote %(file)s (%(size)s bytes).", file=str(output), size=f"{len(made.body):,}"))


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write a consistent copy of the database to FILE; the server may go on running.

    SQLite: the online backup API, then an integrity check of the copy. PostgreSQL: pg_dump
    --format=custom, then the dump read back whole. FILE appears only when complete."""
    from motions import backup as backups

    try:
        made = backups.backup(current_app.config["SQLALCHEMY_DATABASE_URI"], file)
    except OperationError as error:
        _fail(error)
    click.echo(_("Backup written to %(file)s (%(kind)s, %(size)s bytes) and checked.", file=str(file),
                 kind="SQLite" if made.kind == "sqlite" else "PostgreSQL", size=f"{made.size:,}"))


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(file: Path, yes: bool) -> None:
    """Replace the whole database with the backup FILE (stop the server first).

    The file is checked before anything is touched; afterwards the audit log is verified and
    the meetings, people, amendments and ballots are counted."""
    from flask_babel import ngettext

    from motions import audit
    from motions import backup as backups

    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    where = uri.split("@")[-1]  # never the password
    try:
        backups.inspect(uri, file)  # a wrong file is refused before the question
    except OperationError as error:
        _fail(error)
    if not yes:
        click.confirm(_("Replace everything in the database %(where)s with %(file)s? Stop the server first.",
                        where=where, file=str(file)), abort=True)
    try:
        _kind, revision, newest = backups.restore(uri, file)
    except OperationError as error:
        _fail(error)
    click.echo(_("Restored %(file)s into %(where)s.", file=str(file), where=where))
    result = backups.check()
    click.echo(_("Counts: meetings %(meetings)d, people %(people)d, amendments %(amendments)d, ballots %(ballots)d.",
                 **result.counts))
    report = result.audit
    for problem in report.problems:
        click.echo(_("meeting %(slug)s: %(problem)s", slug=report.slugs.get(problem.meeting_id, problem.meeting_id),
                     problem=audit.describe(problem)), err=True)
    if report.problems:
        raise click.ClickException(_("The restored audit log is broken (see above)."))
    click.echo(_("audit log: %(entries)s in %(meetings)s, chain intact",
                 entries=ngettext("%(num)d entry", "%(num)d entries", report.entries),
                 meetings=ngettext("%(num)d meeting", "%(num)d meetings", report.meetings)))
    if not newest:
        click.echo(_("The backup has an older schema (%(revision)s): run “motions init-db” to upgrade it.",
                     revision=revision))


@click.command("count")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--method", type=click.Choice(["scottish", "meek", "approval", "plurality"]),
              default="scottish", show_default=True,
              help="Scottish STV (SSI 2007/42, rules 45-52), Meek STV (Algorithm 123), approval voting or "
                   "plurality at large (each ballot line's candidates read as its marks).")
@click.option("--seed", help="The seed of the lot for ties (default: a new one, printed with the result).")
def count_command(file: Path, method: str, seed: str | None) -> None:
    """Count the ballots of a BLT FILE by single transferable vote (stage by stage), approval
    voting or plurality at large, and print the result sheet. Touches no database: a count made
    elsewhere can be repeated here."""
    from motions.counting import blt, meek, plurality, scottish, sheet
    from motions.counting.stv import CountError, render

    try:
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(_("%(file)s is not UTF-8 text.", file=str(file))) from None
    try:
        election = blt.parse(text)
        if method in plurality.METHODS:
            result = plurality.count(election, method=method, seed=seed)
        else:
            result = (meek if method == "meek" else scottish).count(election, seed=seed)
    except blt.BltError as error:
        raise click.ClickException(_("%(file)s, line %(line)d: %(reason)s", file=str(file), line=error.line,
                                     reason=render(error.note, _))) from None
    except CountError as error:
        raise click.ClickException(_("%(file)s cannot be counted: %(reason)s", file=str(file),
                                     reason=render(error.note, _))) from None
    if election.title:
        click.echo(election.title)
    click.echo(sheet.text(result), nl=False)


def register(app) -> None:
    for command in (init_db, demo, import_document, create_user, audit_group, export, backup_command,
                    restore_command, count_command):
        app.cli.add_command(command)


def _create_app():
    from motions import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def cli() -> None:
    """motions: meetings, amendments and votes."""


def main() -> None:
    cli(prog_name="motions")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
