"""Live updates: changes published to the meeting's event feed (a table), streamed as server-sent events."""
from motions.live.feed import publish  # noqa: F401
