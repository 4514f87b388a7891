"""State machines as enums: each state knows the moves allowed from it and refuses the others.

Pure: no Flask, no database. A feature declares its states as a `StateMachine` enum and registers
its moves once with `allow(...)`; `become()` raises IllegalTransition for any other move, which
the operations turn into a translated 409.
"""
from __future__ import annotations

import enum

_MOVES: dict[type, tuple[str, dict]] = {}


class IllegalTransition(Exception):
    """A state change the state machine does not allow."""

    def __init__(self, kind: str, current: str, target: str):
        super().__init__(f"{kind} cannot go from {current} to {target}")
        self.kind, self.current, self.target = kind, current, target


class StateMachine(str, enum.Enum):
    """Base of the state enums (meeting, document, amendment, and the polls to come)."""

    def can_become(self, target: "StateMachine") -> bool:
        return target in _MOVES[type(self)][1][self]

    def become(self, target: "StateMachine") -> "StateMachine":
        if not self.can_become(target):
            raise IllegalTransition(_MOVES[type(self)][0], self.value, target.value)
        return target


def allow(states: type[StateMachine], kind: str, moves: dict) -> None:
    """Register the moves of a state machine: {state: {states it may become}}, every state listed."""
    missing = set(states) - set(moves)
    if missing:
        raise ValueError(f"{kind}: no moves given for {sorted(s.value for s in missing)}")
    _MOVES[states] = (kind, {state: frozenset(targets) for state, targets in moves.items()})
