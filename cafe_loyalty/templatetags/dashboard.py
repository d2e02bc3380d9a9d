from typing import Any

from django import template

from cafe_loyalty.dashboard import today_at_a_glance

register = template.Library()


@register.inclusion_tag("admin/includes/today.html")
def today_panel() -> dict[str, Any]:
    """{% today_panel %}: today's figures at the top of the admin's front page."""
    return {"today": today_at_a_glance()}
