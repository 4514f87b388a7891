"""Lay out a split document: clause numbers, section headings and line numbers together.

Pure: used by the import preview, by storing a version, and (later) by every export, so
that the numbers a delegate sees are the numbers printed everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass

from motions.text.clauses import Block, number
from motions.text.lines import number_lines


@dataclass(frozen=True)
class LaidClause:
    block: Block
    number: str
    heading: str | None  # the heading of the section the block sits in (its own text for a heading)
    lines: list[str]
    first_line: int
    last_line: int

    @property
    def kind(self) -> str:
        return self.block.kind

    @property
    def text(self) -> str:
        return self.block.text


def lay_out(blocks: list[Block], width: int) -> list[LaidClause]:
    numbers = number(blocks)
    numbered = number_lines([b.text for b in blocks], width)
    laid: list[LaidClause] = []
    # the innermost heading so far, by level, so a clause knows its section's heading
    stack: list[Block] = []
    for block, num, lines in zip(blocks, numbers, numbered):
        if block.kind == "heading":
            while stack and stack[-1].level >= block.level:
                stack.pop()
            stack.append(block)
            heading = block.text
        else:
            heading = stack[-1].text if stack else None
        laid.append(LaidClause(block, num, heading, lines.lines, lines.first_line, lines.last_line))
    return laid
