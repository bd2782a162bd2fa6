"""The names of months and weekdays, in the project's catalogues too.

Django's date formats (`F`, `l`) look these English words up in the active language's
catalogues, and the project's (LOCALE_PATHS) come before Django's own. Django's Italian
and Portuguese catalogues capitalize month and weekday names ("6 Dicembre 2026",
"Domingo"), which both languages write in lower case inside a date; ours say them as a
native speaker writes them. Nothing imports this module: it is here to be extracted.
"""

from django.utils.translation import gettext_noop

MONTHS = [
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
]
WEEKDAYS = [
    gettext_noop("Monday"),
    gettext_noop("Tuesday"),
    gettext_noop("Wednesday"),
    gettext_noop("Thursday"),
    gettext_noop("Friday"),
    gettext_noop("Saturday"),
    gettext_noop("Sunday"),
]
