"""Language choice: a person's own choice first, then the browser's Accept-Language."""
from __future__ import annotations

from flask import g, has_app_context, has_request_context, request, session
from flask_login import current_user

LANGUAGES = {
    "en": "English",
    "zh_Hans": "简体中文",
    "zh_Hant": "繁體中文",
}
HTML_LANG = {"en": "en", "zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant"}

_TRADITIONAL = ("zh-tw", "zh-hk", "zh-mo", "zh-hant")
_SIMPLIFIED = ("zh-cn", "zh-sg", "zh-my", "zh-hans")


def from_accept_language(tag: str) -> str | None:
    """Map one language tag of Accept-Language to a catalogue we have."""
    tag = tag.strip().lower().replace("_", "-")
    if tag == "zh" or tag.startswith(_SIMPLIFIED):
        # zh-Hant-CN is rare, but the script wins over the region
        return "zh_Hant" if "-hant" in tag else "zh_Hans"
    if tag.startswith(_TRADITIONAL):
        return "zh_Hans" if "-hans" in tag else "zh_Hant"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return None


def select_locale() -> str:
    if not has_request_context():
        return "en"  # the command line (motions demo, create-user, ...): no browser to ask
    chosen = session.get("lang") if request else None
    if chosen in LANGUAGES:
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False):
        if current_user.language in LANGUAGES:
            return current_user.language
    for tag, _quality in request.accept_languages:
        found = from_accept_language(tag)
        if found:
            return found
    return "en"


def _translations():
    """The request's catalogue, looked up once per request: Flask-Babel looks it up on every call,
    which is most of the cost of a page that lists 3,000 amendments."""
    from flask_babel import get_translations

    if not has_app_context():
        return get_translations()
    found = g.get("_motions_translations")
    if found is None:
        found = g._motions_translations = get_translations()
    return found


def gettext(string: str, **variables) -> str:
    """Flask-Babel's gettext, with the catalogue cached for the request."""
    s = _translations().ugettext(string)
    return s if not variables else s % variables


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    s = _translations().ungettext(singular, plural, num)
    return s % variables


def lazy_gettext(string: str, **variables):
    from flask_babel.speaklater import LazyString

    return LazyString(gettext, string, **variables)


def init_app(app) -> None:
    from flask_babel import get_locale

    # templates translate through the cached catalogue (newstyle: %(name)s placeholders, autoescaped)
    # (Jinja formats the result itself, so these only look the message up)
    app.jinja_env.install_gettext_callables(lambda string: _translations().ugettext(string),
                                            lambda s, p, n: _translations().ungettext(s, p, n), newstyle=True)

    @app.context_processor
    def languages():
        locale = str(get_locale() or "en")
        return {"LANGUAGES": LANGUAGES, "current_language": locale,
                "html_lang": HTML_LANG.get(locale, "en")}
