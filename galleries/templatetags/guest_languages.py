"""The language switcher of the guest pages (eventgallery/languages.py)."""

from django import template

from eventgallery import languages

register = template.Library()


@register.inclusion_tag("_language_switcher.html", takes_context=True)
def language_switcher(context):
    """A form without JavaScript and without a CSRF token (set_language is exempt, see
    eventgallery/urls.py), so that a page that shows it stays one the cache can keep.
    It comes back to the page's path without its query: a `?lang=` there would outweigh the choice."""
    request = context.get("request")
    return {
        "choices": languages.language_choices(),
        "current": context.get("LANGUAGE_CODE"),
        "next": request.path if request is not None else "/",
    }


@register.simple_tag
def shipped_languages():
    """The shipped languages as (code, name), for the table card's choice of language."""
    return languages.language_choices()
