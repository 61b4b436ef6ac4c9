"""Rendering pages: the templates, and what every page is given (user, CSRF token, flash message,
and its language: `_()` and the other gettext calls translate into it, `word()` names a code in it)."""
from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from campaigns.console import i18n, queue, time_filters, words
from campaigns.console.deps import csrf_token

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
time_filters.install(TEMPLATES.env)  # times in the office's zone: {{ moment|local }}


def page_context(request: Request, **context) -> dict:
    """What every template needs besides its own data: the request, the user, the CSRF token and the language."""
    language = i18n.request_language(request)
    context.setdefault("user", getattr(request.state, "user", None))
    context.update(request=request, csrf_token=csrf_token(request), language=language,
                   html_lang=i18n.html_tag(language), languages=i18n.languages(),
                   own_language=getattr(request.state, "user_language", None))
    return context


def render(request: Request, template: str, status_code: int = 200, **context):
    """A page, with what every page needs: the user, the CSRF token, a flash message, the language."""
    context = page_context(request, flash=request.session.pop("flash", None), **context)
    return TEMPLATES.TemplateResponse(template, context, status_code=status_code)


def flash(request: Request, message: str) -> None:
    """A message for the next page; given in the reader's language (a `Text` is translated now)."""
    request.session["flash"] = i18n.shown(message, i18n.for_request(request))


def _translations(context):
    language = context.get("language")
    if language is None:  # a template rendered without page_context: its request still says
        request = context.get("request")
        language = i18n.request_language(request) if request is not None else i18n.DEFAULT
    return i18n.translations(language)


@pass_context
def _gettext(context, message: str) -> str:
    return _translations(context).gettext(message)


@pass_context
def _ngettext(context, singular: str, plural: str, number: int) -> str:
    return _translations(context).ngettext(singular, plural, number)


@pass_context
def _pgettext(context, message_context: str, message: str) -> str:
    return _translations(context).pgettext(message_context, message)


@pass_context
def _word(context, vocabulary: str, code) -> str:
    return words.word(_translations(context), vocabulary, code)


@pass_context
def _words(context, vocabulary: str, joined) -> str:
    return words.words(_translations(context), vocabulary, joined)


@pass_context
def _age(context, seconds: float) -> str:
    return queue.format_age(seconds, _translations(context))


@pass_context
def _community(context, name) -> str:
    return words.community(_translations(context), name)


@pass_context
def _shown(context, text) -> str:
    return i18n.shown(text, _translations(context))


TEMPLATES.env.add_extension("jinja2.ext.i18n")
TEMPLATES.env.install_gettext_callables(_gettext, _ngettext, newstyle=True, pgettext=_pgettext)
TEMPLATES.env.globals.update(age=_age, word=_word, words=_words, community=_community, shown=_shown,
                             language_name=i18n.display_name)
