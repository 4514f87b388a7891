"""Pure text core of the motions app (standard library only, no Flask, no database).

* :mod:`motions.text.clauses` -- normalise a document and split it losslessly into clauses
  (headings, paragraphs, list items), number them, split and join clause texts.
* :mod:`motions.text.lines` -- display widths, grapheme-safe line wrapping and the continuous
  line numbering that printed papers cite ("line 12-14").
"""
