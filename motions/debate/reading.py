"""Reading the debate: a speakers list as it stands (for the amendment page, the chair, the projector),
and the comments on an item as a thread."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select

from motions.debate.models import Comment, Speaker, SpeakersList
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
        return as_utc(self.speaking.started_at) + timedelta(seconds=self.speaking_time)

    def remaining(self, now: datetime | None = None) -> int | None:
        """Whole seconds the current speaker has left (0 once the time is up; None: no limit)."""
        ends = self.ends_at()
        if ends is None:
            return None
        now = now or datetime.now(timezone.utc)
        return max(0, math.ceil((ends - as_utc(now)).total_seconds()))

    def request_of(self, person_id: int | None) -> Speaker | None:
        """The person's waiting request on this list, if they have one."""
        return next((s for s in self.waiting if s.person_id == person_id), None)


def as_utc(moment: datetime) -> datetime:
    """A stored time as UTC (SQLite gives it back without its zone)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def mmss(seconds: int | None) -> str:
    """90 -> "01:30"; an hour is "60:00"."""
    seconds = max(0, int(seconds or 0))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"  # mm:ss, as static/live.js ticks it


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
    # who has spoken, in the order they spoke (positions change as the chair reorders the queue)
    spoken = sorted((s for s in rows if s.state == "spoken"),
                    key=lambda s: (as_utc(s.started_at or s.ended_at or s.requested_at), s.id))
    return Queue(sl, speaking, waiting, spoken)


# ---------------------------------------------------------------- comments

MAX_DEPTH = 5  # replies nest this deep on the page; deeper replies line up under the last level


@dataclass
class Node:
    """A comment in its thread: its replies, how deep it sits, and whom it answers when it sits below
    MAX_DEPTH (then it is listed after its parent, at the same depth, rather than under it)."""
    comment: Comment
    depth: int = 0
    replies: list[Node] = field(default_factory=list)
    reply_to: Comment | None = None
    siblings: list[Node] | None = field(default=None, repr=False)  # the list this node is in


def comments(meeting_id: int, subject_type: str, subject_id: int) -> list[Comment]:
    """Every comment on an item (hidden ones too), oldest first."""
    return list(db.session.execute(
        select(Comment).where(Comment.meeting_id == meeting_id, Comment.subject_type == subject_type,
                              Comment.subject_id == subject_id)
        .order_by(Comment.created_at, Comment.id).options(db.joinedload(Comment.author))).scalars())


def thread(rows: list[Comment]) -> list[Node]:
    """The comments as a tree, oldest first at every level. Built without recursion, so a chain of a
    thousand replies costs no more than a flat list, and nests at most MAX_DEPTH deep."""
    nodes = {c.id: Node(c) for c in rows}
    roots: list[Node] = []
    for c in sorted(rows, key=lambda c: c.id):  # ids grow: a parent is placed before its replies
        node = nodes[c.id]
        parent = nodes.get(c.parent_id) if c.parent_id is not None else None
        if parent is None:
            node.siblings = roots
        elif parent.depth >= MAX_DEPTH:
            node.depth, node.reply_to, node.siblings = parent.depth, parent.comment, parent.siblings
        else:
            node.depth, node.siblings = parent.depth + 1, parent.replies
        node.siblings.append(node)
    return roots
