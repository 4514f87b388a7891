"""Imports every model so that SQLAlchemy and Alembic see the whole schema."""
from motions.auth.models import ApiToken, Person, SignInCounter  # noqa: F401
from motions.documents.models import Clause, ClauseText, Document, DocumentVersion  # noqa: F401
from motions.meetings.models import Meeting, Membership, MembershipRole  # noqa: F401
from motions.amendments.models import Amendment, AmendmentEvent, AmendmentRevision, Seconding  # noqa: F401
from motions.audit.models import AuditEntry, AuditHead  # noqa: F401
from motions.polls.models import Ballot, Poll, PollTally, Proxy  # noqa: F401
from motions.live.models import MeetingEvent  # noqa: F401
from motions.debate.models import Comment, Speaker, SpeakersList  # noqa: F401
from motions.elections.models import Candidate, CandidateSeconder, Election, ElectionPaper, ElectionVoter  # noqa: F401
