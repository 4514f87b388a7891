"""Reading the debate: a speakers list as it stands (for the amendment page, the chair, the projector)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from motions.debate.models import Speaker, SpeakersList
from motions.extensions import db


@dataclass
class Queue:
    """One item's speakers list: who speaks now (with the time they started), who waits, in order."""
    speakers_list: SpeakersList | None
    speaking: Speaker | None
    waiting: list[Speaker]
    spoken: list[Speaker]

    @property
    def closed(self) -> bool:
        return bool(self.speakers_list and self.speakers_list.closed)

    @property
    def speaking_time(self) -> int | None:
        return self.speakers_list.speaking_time if self.speakers_list else None

    def ends_at(self) -> datetime | None:
        """When the current speaker's time runs out (None: no limit or nobody speaking)."""
        from datetime import timedelta

        if self.speaking is None or self.speaking.started_at is None or not self.speaking_time:
            return None
        return self.speaking.started_at + timedelta(seconds=self.speaking_time)


def speakers_list(meeting_id: int, subject_type: str, subject_id: int) -> SpeakersList | None:
    return db.session.execute(select(SpeakersList).filter_by(
        meeting_id=meeting_id, subject_type=subject_type, subject_id=subject_id)).scalar_one_or_none()


def queue(meeting_id: int, subject_type: str, subject_id: int) -> Queue:
    """The speakers list of an item; an item nobody asked to speak on has an empty queue."""
    sl = speakers_list(meeting_id, subject_type, subject_id)
    if sl is None:
        return Queue(None, None, [], [])
    rows = list(db.session.execute(select(Speaker).where(Speaker.list_id == sl.id)
                                   .order_by(Speaker.position, Speaker.id)
                                   .options(db.joinedload(Speaker.person))).scalars())
    speaking = next((s for s in rows if s.state == "speaking"), None)
    # a point of order jumps the queue: it is taken before everyone else waiting
    waiting = sorted((s for s in rows if s.state == "waiting"),
                     key=lambda s: (s.side != "point_of_order", s.position, s.id))
    spoken = [s for s in rows if s.state == "spoken"]
    return Queue(sl, speaking, waiting, spoken)
