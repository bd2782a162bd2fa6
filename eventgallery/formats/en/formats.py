"""English dates as the guest pages always wrote them: "6 December 2026", "6 December 2026, 18:00"
(Django's English formats are American: "Dec. 6, 2026")."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
