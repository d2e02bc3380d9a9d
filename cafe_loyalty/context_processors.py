from django.conf import settings
from django.http import HttpRequest


def cafe(request: HttpRequest) -> dict[str, object]:
    return {"CAFE_CURRENCY": settings.CAFE_CURRENCY}
