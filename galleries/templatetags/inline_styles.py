from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from eventgallery.inline_styles import inline_style

register = template.Library()


@register.simple_tag
def inline_stylesheet(path: str) -> str:
    """A <style> with the static stylesheet at `path`, allowed by its hash (eventgallery/inline_styles.py)."""
    # Our own file, never a visitor's text: it is sent as it is.
    return format_html("<style>{}</style>", mark_safe(inline_style(path).text))
