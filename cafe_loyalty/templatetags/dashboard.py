from typing import Any

from django import template

from cafe_loyalty.dashboard import needs_attention, today_at_a_glance

register = template.Library()


@register.inclusion_tag("admin/includes/today.html")
def today_panel() -> dict[str, Any]:
    """{% today_panel %}: today's figures at the top of the admin's front page."""
    return {"today": today_at_a_glance()}


@register.inclusion_tag("admin/includes/attention.html")
def attention_panel() -> dict[str, Any]:
    """{% attention_panel %}: wallet pauses in force and open risk alerts
    (high severity first), above everything else on the admin's front page."""
    return {"attention": needs_attention()}
