"""The command line: init-db, demo (idempotent), import-document, create-user [--print-token]."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata

import pytest

from motions import create_app
from motions.extensions import db
from tests.conftest import ROOT
from tests.api_helpers import bearer, fast_hashing, snapshot  # noqa: F401  (fast_hashing is a fixture)

pytestmark = pytest.mark.usefixtures("fast_hashing")

TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,}$")


def token_for(client, email: str, password: str):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


# ------------------------------------------------------------------ init-db

def test_init_db_creates_the_schema_on_an_empty_database(tmp_path):
    uri = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "x"})
    runner = app.test_cli_runner()
    with app.app_context():
        assert db.inspect(db.engine).get_table_names() == []
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Database ready" in result.stdout
    with app.app_context():
        tables = set(db.inspect(db.engine).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} <= tables
        assert "alembic_version" in tables
        db.engine.dispose()
    # running it again is harmless
    again = runner.invoke(args=["init-db"])
    assert again.exit_code == 0, again.output


def test_init_db_on_the_migrated_test_database_changes_nothing(app, runner, demo):
    before = snapshot(app)
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert snapshot(app) == before


# ------------------------------------------------------------------ demo

def test_demo_creates_the_founding_meeting_and_is_idempotent(app, runner, client):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "/m/founding-meeting/" in first.stdout
    assert "delegate1@example.org" in first.stdout and "solidarity" in first.stdout
    after_first = snapshot(app)
    assert len(after_first["meeting"]) == 1
    assert len(after_first["document"]) == 1
    assert len(after_first["person"]) == 11
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert second.stdout == first.stdout
    assert snapshot(app) == after_first  # not one row added or changed
    # the demo people sign in and read the open platform
    token = token_for(client, "delegate1@example.org", "solidarity").get_json()["token"]
    doc = client.get("/api/v1/documents/1", headers=bearer(token)).get_json()
    assert (doc["title"], doc["state"]) == ("Draft platform", "open")
    chair = token_for(client, "chair@example.org", "solidarity").get_json()["token"]
    people = client.get("/api/v1/meetings/founding-meeting/people", headers=bearer(chair)).get_json()
    assert {p["email"] for p in people} >= {"chair@example.org", "secretary@example.org", "delegate8@example.org"}
    # and the platform has amendments to look at: one admitted, one colliding with it, a new clause
    listed = client.get("/api/v1/documents/1/amendments", headers=bearer(token)).get_json()
    assert [(a["number"], a["kind"], a["status"], a["mover"]["name"]) for a in listed] == [
        ("A1", "modify", "admitted", "Alex Chan"), ("A2", "modify", "submitted", "Chloe Martin"),
        ("A3", "insert_after", "submitted", "Dawa Tsering")]
    assert listed[0]["conflicts_with"] == [listed[1]["id"]] and listed[2]["conflicts_with"] == []
    assert [s["name"] for s in listed[0]["seconders"]] == ["Bilal Tursun"]


def test_demo_completes_a_partly_loaded_demo(app, runner, factory):
    """Someone already made the meeting (or some people): demo adds only what is missing."""
    factory.meeting("founding-meeting", title="Made by hand")
    factory.person("founding-meeting", "delegate", email="delegate1@example.org", password="my own password")
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    state = snapshot(app)
    assert len(state["meeting"]) == 1 and len(state["person"]) == 11 and len(state["document"]) == 1
    with app.app_context():
        from motions.auth.operations import authenticate

        # an existing person's password is not reset to the demo password
        assert authenticate("delegate1@example.org", "my own password") is not None
        assert authenticate("delegate1@example.org", "solidarity") is None
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert snapshot(app) == state


# ------------------------------------------------------------------ import-document

@pytest.fixture
def meeting(factory):
    slug = factory.meeting("congress", line_width=80)
    factory.person(slug, "delegate", email="reader@example.org")
    return slug


def _read(client, doc_id: int):
    token = token_for(client, "reader@example.org", "correct horse battery").get_json()["token"]
    doc = client.get(f"/api/v1/documents/{doc_id}", headers=bearer(token)).get_json()
    text = client.get(f"/api/v1/documents/{doc_id}/text", headers=bearer(token)).get_data(as_text=True)
    return doc, text


def test_import_markdown_file(app, runner, client, meeting, tmp_path):
    composed = "# Notre programme\n\nLes travailleuses et les travailleurs s’unissent.\n\n- Égalité.\n- Liberté syndicale.\n"
    source = tmp_path / unicodedata.normalize("NFD", "programme-fédéral.md")  # as macOS names files
    source.write_bytes(unicodedata.normalize("NFD", composed).replace("\n", "\r\n").encode("utf-8"))
    result = runner.invoke(args=["import-document", str(source), "--meeting", meeting])
    assert result.exit_code == 0, result.output
    match = re.match(r"Imported document (\d+) “(.+)”: 4 clauses, lines 1–4\.\n$", result.stdout)
    assert match, result.stdout
    doc, text = _read(client, int(match.group(1)))
    assert text == composed  # NFC, LF, lossless
    assert doc["title"] == match.group(2) == unicodedata.normalize("NFC", "programme-fédéral")
    assert (doc["kind"], doc["state"], doc["version"]) == ("platform", "draft", 1)
    assert [c["number"] for c in doc["clauses"]] == ["1", "1.1", "1.2", "1.3"]


def test_import_text_file_with_options(runner, client, meeting, tmp_path):
    source = tmp_path / "motion.txt"
    source.write_text("Erste Zeile.\nZweite Zeile.\n", encoding="utf-8")
    result = runner.invoke(args=["import-document", str(source), "--meeting", meeting, "--title", "Antrag 1",
                                 "--kind", "motion"])
    assert result.exit_code == 0, result.output
    doc_id = int(re.search(r"Imported document (\d+)", result.stdout).group(1))
    doc, text = _read(client, doc_id)
    assert (doc["title"], doc["kind"]) == ("Antrag 1", "motion")
    assert [(c["number"], c["text"]) for c in doc["clauses"]] == [("1", "Erste Zeile."), ("2", "Zweite Zeile.")]
    assert text == "Erste Zeile.\nZweite Zeile.\n"


def test_import_windows_1252_file(runner, client, meeting, tmp_path):
    source = tmp_path / "old.txt"
    source.write_bytes("Le café du coin – ouvert.\n".encode("cp1252"))
    result = runner.invoke(args=["import-document", str(source), "--meeting", meeting])
    assert result.exit_code == 0, result.output
    doc, text = _read(client, int(re.search(r"Imported document (\d+)", result.stdout).group(1)))
    assert text == "Le café du coin – ouvert.\n"


def test_import_into_unknown_meeting_fails_and_changes_nothing(app, runner, meeting, tmp_path):
    source = tmp_path / "a.md"
    source.write_text("# A\n\nB.\n", encoding="utf-8")
    before = snapshot(app)
    result = runner.invoke(args=["import-document", str(source), "--meeting", "nowhere"])
    assert result.exit_code == 1
    assert "There is no meeting “nowhere”." in result.stderr
    assert result.stdout == ""
    assert snapshot(app) == before


@pytest.mark.parametrize("content", [b"", b"\n\n   \n", b"\xef\xbb\xbf\r\n"])
def test_import_of_an_empty_file_fails_and_changes_nothing(app, runner, meeting, tmp_path, content):
    source = tmp_path / "empty.md"
    source.write_bytes(content)
    before = snapshot(app)
    result = runner.invoke(args=["import-document", str(source), "--meeting", meeting])
    assert result.exit_code == 1
    assert "text: The document has no text." in result.stderr
    assert snapshot(app) == before


def test_import_needs_an_existing_file_and_a_meeting(app, runner, meeting, tmp_path):
    before = snapshot(app)
    missing = runner.invoke(args=["import-document", str(tmp_path / "nope.md"), "--meeting", meeting])
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    source = tmp_path / "a.md"
    source.write_text("A.\n", encoding="utf-8")
    no_meeting = runner.invoke(args=["import-document", str(source)])
    assert no_meeting.exit_code == 2 and "--meeting" in no_meeting.stderr
    assert snapshot(app) == before


# ------------------------------------------------------------------ create-user

def test_create_user_print_token_prints_only_a_working_token(runner, client, meeting):
    result = runner.invoke(args=["create-user", "--email", "Bot@Example.org", "--name", "Projector bot",
                                 "--password", "a long password", "--meeting", meeting, "--role", "chair",
                                 "--role", "secretary", "--print-token"])
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1
    token = result.stdout.strip()
    assert TOKEN.match(token), result.stdout
    response = client.get(f"/api/v1/meetings/{meeting}/people", headers=bearer(token))  # chair, secretary only
    assert response.status_code == 200
    bot = [p for p in response.get_json() if p["email"] == "bot@example.org"]
    assert [(p["name"], p["roles"]) for p in bot] == [("Projector bot", ["chair", "secretary"])]
    # not an organiser: no new meetings
    assert client.post("/api/v1/meetings", json={"slug": "bots-meeting", "title": "B"},
                       headers=bearer(token)).status_code == 403
    # and the password works for the token route too
    assert token_for(client, "bot@example.org", "a long password").status_code == 200


def test_create_user_normalises_to_nfc(runner, client):
    nfd = unicodedata.normalize("NFD", "Zoë Lefèvre")
    result = runner.invoke(args=["create-user", "--email", "zoe@example.org", "--name", nfd, "--organisation", nfd,
                                 "--password", "a long password", "--print-token"])
    assert result.exit_code == 0, result.output
    person = token_for(client, "zoe@example.org", "a long password").get_json()["person"]
    assert (person["name"], person["organisation"]) == ("Zoë Lefèvre", "Zoë Lefèvre")


def test_create_user_organiser_may_create_meetings(runner, client):
    result = runner.invoke(args=["create-user", "--email", "org@example.org", "--name", "Org",
                                 "--password", "a long password", "--organiser", "--print-token"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    response = client.post("/api/v1/meetings", json={"slug": "new-one", "title": "New"}, headers=bearer(token))
    assert response.status_code == 201, response.get_data(as_text=True)


def test_create_user_without_meeting_or_token(app, runner, client):
    result = runner.invoke(args=["create-user", "--email", "solo@example.org", "--name", "Solo",
                                 "--password", "a long password"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Saved solo@example.org.\n"
    assert len(snapshot(app)["api_token"]) == 0  # no token made when none was asked for
    assert token_for(client, "solo@example.org", "a long password").status_code == 200


def test_create_user_default_role_is_delegate(runner, client, meeting):
    result = runner.invoke(args=["create-user", "--email", "d@example.org", "--name", "D", "--password",
                                 "a long password", "--meeting", meeting])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Saved d@example.org in {meeting} as delegate.\n"
    token = token_for(client, "d@example.org", "a long password").get_json()["token"]
    assert client.get(f"/api/v1/meetings/{meeting}", headers=bearer(token)).status_code == 200
    assert client.get(f"/api/v1/meetings/{meeting}/people", headers=bearer(token)).status_code == 403


def test_create_user_twice_updates_the_person(app, runner, client, meeting):
    args = ["create-user", "--email", "u@example.org", "--password"]
    assert runner.invoke(args=args + ["first password", "--name", "First name"]).exit_code == 0
    people_before = len(snapshot(app)["person"])
    result = runner.invoke(args=args + ["second password", "--name", "Second name", "--meeting", meeting,
                                        "--role", "secretary", "--print-token"])
    assert result.exit_code == 0, result.output
    assert len(snapshot(app)["person"]) == people_before  # the same person, not a second one
    assert token_for(client, "u@example.org", "first password").status_code == 401
    response = token_for(client, "u@example.org", "second password")
    assert response.status_code == 200
    assert response.get_json()["person"]["name"] == "Second name"
    people = client.get(f"/api/v1/meetings/{meeting}/people", headers=bearer(result.stdout.strip())).get_json()
    assert [p["roles"] for p in people if p["email"] == "u@example.org"] == [["secretary"]]


@pytest.mark.parametrize("args, code, message", [
    (["--meeting", "nowhere"], 1, "There is no meeting “nowhere”."),
    (["--role", "chair"], 2, "--role needs --meeting"),
    (["--role", "king", "--meeting", "congress"], 2, "'king' is not one of"),
    (["--meeting", "congress", "--vote-weight", "-1"], 1, "vote_weight: The vote weight must be"),
    (["--vote-weight", "many"], 2, "'many' is not a valid integer"),
])
def test_create_user_bad_options_change_nothing(app, runner, meeting, args, code, message):
    before = snapshot(app)
    result = runner.invoke(args=["create-user", "--email", "x@example.org", "--name", "X",
                                 "--password", "a long password", "--print-token"] + args)
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert result.stdout == ""  # no token for a script to pick up
    assert snapshot(app) == before


@pytest.mark.parametrize("email, name, password, fields", [
    ("not-an-email", "X", "a long password", ["email"]),
    ("x@example.org", "   ", "a long password", ["name"]),
    ("x@example.org", "X", "short", ["password"]),
    ("bad", " ", "short", ["name", "email", "password"]),
])
def test_create_user_invalid_values_change_nothing(app, runner, email, name, password, fields):
    before = snapshot(app)
    result = runner.invoke(args=["create-user", "--email", email, "--name", name, "--password", password,
                                 "--print-token"])
    assert result.exit_code == 1
    assert "Some details of this person need correcting." in result.stderr
    for field in fields:
        assert f"  {field}: " in result.stderr
    assert result.stdout == ""
    assert snapshot(app) == before


def test_create_user_needs_email_name_and_password(app, runner):
    before = snapshot(app)
    for missing in ("--email", "--name", "--password"):
        args = {"--email": "x@example.org", "--name": "X", "--password": "a long password"}
        del args[missing]
        result = runner.invoke(args=["create-user", *[part for pair in args.items() for part in pair]])
        assert result.exit_code == 2
        assert f"Missing option '{missing}'" in result.stderr
    assert snapshot(app) == before


def test_the_installed_command_prints_only_the_token(app, client, meeting, tmp_path):
    """The real `motions` program in a fresh process: stdout is the token and nothing else."""
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "cli-test-key",
           "PYTHONWARNINGS": "default"}
    env.pop("FLASK_APP", None)
    completed = subprocess.run(
        [sys.executable, "-m", "motions.cli", "create-user", "--email", "script@example.org", "--name", "Script",
         "--password", "a long password", "--meeting", meeting, "--role", "chair", "--print-token"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert TOKEN.match(completed.stdout.rstrip("\n")), repr(completed.stdout)
    assert completed.stdout.count("\n") == 1
    token = completed.stdout.strip()
    response = client.get(f"/api/v1/meetings/{meeting}/people", headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "script@example.org" in {p["email"] for p in response.get_json()}
    assert (ROOT / "motions" / "cli.py").exists()
