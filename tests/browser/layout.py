"""What the browser tests check of a page's layout, in one place.

A page is measured only once it has loaded: a layout read from script before the stylesheet has
arrived is the page without its styles (a result sheet's table 807 px wide on a 360 px phone, say),
which no person ever sees, since the browser does not paint before the stylesheet in <head>.
"""
from __future__ import annotations

# The elements whose right edge passes the window's, outermost first: what a failure names.
_WIDE = """limit => [...document.body.querySelectorAll('*')]
  .filter(e => e.getBoundingClientRect().right > limit)
  .slice(0, 6)
  .map(e => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string'
       ? '.' + e.className.trim().split(/\\s+/).join('.') : '') + ' (right edge at '
       + Math.round(e.getBoundingClientRect().right) + ' px)')"""


def assert_no_sideways_scroll(page, what: str, width: int | None = None) -> None:
    """The page does not scroll sideways: its content is no wider than the window (or `width`)."""
    page.wait_for_load_state("load")
    scroll, client = page.evaluate(
        "[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
    limit = client if width is None else width + 1
    if scroll > limit:
        wide = page.evaluate(_WIDE, limit)
        raise AssertionError(f"the {what} scrolls sideways: {scroll} px of content in {limit} px"
                             f" ({page.url}); too wide: {', '.join(wide) or 'nothing in <body>'}")
