"""The language switcher of the guest pages (eventgallery/languages.py)."""

from django import template

from eventgallery.language_names import language_choices

register = template.Library()


@register.inclusion_tag("_language_switcher.html", takes_context=True)
def language_switcher(context, next_url=None):
    """A form without JavaScript and without a CSRF token (set_language is exempt, see
    eventgallery/urls.py), so that a page that shows it stays one the cache can keep.
    It comes back to `next_url`, else to the page's path without its query: a `?lang=`
    there would outweigh the choice. Pages that refuse an address (not found, closed)
    give the home page rather than repeat the address refused (which may name a photo, or
    a gallery that a photo file's address does not)."""
    request = context.get("request")
    if next_url is None:
        next_url = request.path if request is not None else "/"
    return {"choices": language_choices(), "current": context.get("LANGUAGE_CODE"), "next": next_url}


@register.simple_tag
def shipped_languages():
    """The shipped languages as (code, name), for the table card's choice of language."""
    return language_choices()
