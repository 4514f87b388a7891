"""The demo founding meeting: the draft platform from the announcement, and demo people."""
from __future__ import annotations

from pathlib import Path

from motions.auth.models import Person
from motions.documents import operations as docs
from motions.extensions import db
from motions.meetings import delegate_csv
from motions.meetings import operations as meetings
from motions.meetings.models import Meeting

HERE = Path(__file__).parent
SLUG = "founding-meeting"
TITLE = "Founding meeting: united workers campaign for the people of China, Taiwan, Hong Kong, Tibet & the Uyghur Region"
PASSWORD = "solidarity"  # demo only: printed by `motions demo`


def load_demo() -> list[tuple[str, str, str]]:
    """Create what is missing of the demo meeting; running it twice changes nothing."""
    meeting = db.session.execute(db.select(Meeting).filter_by(slug=SLUG)).scalar_one_or_none()
    if meeting is None:
        meeting = meetings.create_meeting({"slug": SLUG, "title": TITLE, "seconders_required": 1,
                                           "quorum": "1/3", "casting_vote": True, "self_checkin": True},
                                          creator=None)
    rows, problems = delegate_csv.parse((HERE / "delegates.csv").read_text(encoding="utf-8"))
    assert not problems, problems
    known = {p.email for p in db.session.execute(db.select(Person)).scalars()}
    missing = [r for r in rows if r.email not in known]
    if missing:
        meetings.import_delegates(meeting, missing)
        for row in missing:
            person = db.session.execute(db.select(Person).filter_by(email=row.email)).scalar_one()
            person.set_password(PASSWORD)
            if "organiser" in row.roles:
                person.is_organiser = True
        db.session.commit()
    if not meeting.documents:
        docs.import_document(meeting, title="Draft platform", text=(HERE / "platform.md").read_text(encoding="utf-8"),
                             format="markdown", kind="platform", by_id=None)
        document = meeting.documents[0]
        docs.set_state(document, "open")
    return [(", ".join(r.roles), r.email, PASSWORD) for r in rows]
