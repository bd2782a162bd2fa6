"""Italian dates without a leading zero: "6 dicembre 2026" (Django's is "06 Dicembre 2026";
the month's lower case comes from eventgallery/date_names.py)."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
