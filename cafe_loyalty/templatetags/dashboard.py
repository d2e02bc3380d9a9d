from typing import Any

from django import template

from cafe_loyalty.dashboard import follow_ups, needs_attention, today_at_a_glance
from cafe_loyalty.dashboard_charts import front_page_charts

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


@register.inclusion_tag("admin/includes/follow_ups.html")
def follow_ups_panel() -> dict[str, Any]:
    """{% follow_ups_panel %}: low ratings nobody has followed up yet."""
    return {"follow_ups": follow_ups()}


@register.inclusion_tag("admin/includes/charts.html", takes_context=True)
def charts_panel(context: template.Context) -> dict[str, Any]:
    """{% charts_panel %}: the front page's charts, those the manager may see."""
    perms = context["perms"]
    charts = front_page_charts(
        sales=perms["payments"]["view_payment"], members=perms["campaigns"]["view_membersegment"]
    )
    return {"charts": charts, "perms": perms}
