"""The programme's name as members read it: page titles, the card, emails."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext, gettext_noop

# The default name, kept in the catalogues so it is shown in the reader's
# language; a cafe's own CAFE_PROGRAMME_NAME is shown as written (a brand),
# unless a translator adds it to the catalogues too.
DEFAULT_PROGRAMME_NAME = gettext_noop("Cafe Loyalty")


def programme_name() -> str:
    """CAFE_PROGRAMME_NAME in the active language."""
    return gettext(settings.CAFE_PROGRAMME_NAME)


@dataclass(frozen=True)
class ProgrammeSite:
    """What allauth's emails call the site (`current_site.name` and `.domain`):
    the programme's name and public address, never the host a request happened
    to come in on (127.0.0.1:8000 on a developer's machine)."""

    name: str
    domain: str


def programme_site() -> ProgrammeSite:
    return ProgrammeSite(name=programme_name(), domain=urlsplit(settings.CAFE_SITE_URL).netloc)
