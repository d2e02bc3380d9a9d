from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import lazy

from cafe_loyalty.core.programme import programme_name
from members.display import large_and_simple


def cafe(request: HttpRequest) -> dict[str, object]:
    # Lazy: read in the language active when the template prints it.
    return {
        "CAFE_CURRENCY": settings.CAFE_CURRENCY,
        "PROGRAMME_NAME": lazy(programme_name, str)(),
        "LARGE_AND_SIMPLE": large_and_simple(request),
    }
