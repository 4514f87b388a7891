"""The audit log: every state change of a meeting, hash-chained (see log.py and chain.py).

    from motions import audit
    audit.append(meeting.id, person, "amendment.admitted", "amendment", amendment.id, {...})
"""
from motions.audit.log import append, describe, entries, verify, verify_report  # noqa: F401
