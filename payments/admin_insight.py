"""Two more report pages in the admin, beside sales (payments.admin_reports):
repurchase and frequency (do members come back, how long between visits) and
offers (what coupons, campaigns and promotions cost and brought). Filters,
charts with their figures as tables, and the same figures as CSV
(`?format=csv`). The orders admin routes them and its view permission guards
them, as for the sales report."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cafe_loyalty.core.money import major_units
from cafe_loyalty.core.replica import replica_view
from cafe_loyalty.core.spreadsheets import csv_download, in_currency
from campaigns.models import CouponTemplate, Promotion
from campaigns.offer_report import OffersQuery, OffersReport, offers_report
from payments import insight_charts as charts
from payments.admin_reports import SalesFilterForm
from payments.selectors.repurchase import RepurchaseQuery, RepurchaseReport, bucket_labels, repurchase_report

Rows = Iterator[Sequence[object]]
REPURCHASE_DAYS = 180  # the default period: long enough for some members' 90 days to have passed


class RepurchaseFilterForm(SalesFilterForm):
    grain = None  # type: ignore[assignment]  # one period, no breakdown by day


class OffersFilterForm(SalesFilterForm):
    grain = None  # type: ignore[assignment]
    store = None  # type: ignore[assignment]  # coupons and campaigns are the programme's, not a store's
    template = forms.ModelChoiceField(
        CouponTemplate.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("All"),
        label=gettext_lazy("Coupon template"),
    )
    promotion = forms.ModelChoiceField(
        Promotion.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("All"),
        label=gettext_lazy("Promotion"),
    )


def _period(request: HttpRequest, form_class: type[SalesFilterForm], days: int) -> tuple[SalesFilterForm, dict]:
    today = timezone.localdate()
    default = {"start": today - timedelta(days=days - 1), "end": today}
    if not any(name in request.GET for name in form_class.base_fields):
        return form_class(initial=default), {**default, "store": None}
    # A link may name only what it filters (a coupon template's row links to
    # ?template=7): the period it leaves out is the default one.
    form = form_class({**{key: day.isoformat() for key, day in default.items()}, **request.GET.dict()})
    if not form.is_valid():
        return form, {**default, "store": None}
    return form, {"store": None, **form.cleaned_data}


def _with_csv(request: HttpRequest) -> str:
    query = request.GET.copy()
    query["format"] = "csv"
    return query.urlencode()


def _money(amount: int | None) -> Decimal | str:
    return "" if amount is None else major_units(amount)


def _share(value: float | None) -> float | str:
    return "" if value is None else round(value, 4)


def _visits(value: float | None) -> float | str:
    """Incremental visits to one decimal; empty where a holdout cannot tell."""
    return "" if value is None else round(value, 1)


def _context(model_admin: admin.ModelAdmin, request: HttpRequest, title: str, form: SalesFilterForm) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "form": form,
        "csv_query": _with_csv(request),
    }


def _csv_name(kind: str, start: date, end: date) -> str:
    return f"{kind}-{start.isoformat()}-{end.isoformat()}.csv"


# --- Repurchase and frequency ------------------------------------------------------


def _repurchase_rows(report: RepurchaseReport) -> Rows:
    query = report.query
    yield [_("Repurchase and frequency"), str(query.store or _("All stores")), query.start, query.end]
    yield []
    windows = [
        (
            _("Counted for %(days)s days") % {"days": days},
            _("Came back within %(days)s days") % {"days": days},
            _("Share back within %(days)s days") % {"days": days},
        )
        for days in (30, 60, 90)
    ]
    header = [_("Members"), *(cell for triple in windows for cell in triple), _("Median days between visits")]
    for title, rows in ((_("All"), [report.total]), (_("Store"), report.stores), (_("Tier"), report.tiers)):
        yield [title, *header]
        for row in rows:
            cells = [cell for c in row.came_back for cell in (c.counted, c.returned, _share(c.share))]
            yield [row.name, row.members, *cells, "" if row.median_gap is None else row.median_gap]
        yield []
    yield [_("Days since the visit before"), _("Visits")]
    yield from ([label, count] for label, count in zip(bucket_labels(), report.total.histogram, strict=True))


@replica_view
def repurchase_report_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    form, clean = _period(request, RepurchaseFilterForm, REPURCHASE_DAYS)
    query = RepurchaseQuery(start=clean["start"], end=clean["end"], store=clean["store"])
    report = repurchase_report(query=query)
    if request.GET.get("format") == "csv":
        return csv_download(_csv_name("repurchase", query.start, query.end), _repurchase_rows(report))
    context = {
        **_context(model_admin, request, _("Repurchase and frequency"), form),
        "report": report,
        "total_rows": [report.total],
        "window_labels": charts.window_labels(),
        "came_back_chart": charts.came_back_chart(report),
        "gaps_chart": charts.gaps_chart(report),
        "tiers_chart": charts.tiers_chart(report),
    }
    return TemplateResponse(request, "admin/payments/repurchase_report.html", context)


# --- Offers ------------------------------------------------------------------------


def _filtered_out(query: OffersQuery, template: CouponTemplate | None, promotion: Promotion | None) -> dict[str, str]:
    """What a section says when the query leaves it out (OffersQuery.shows_*),
    so that it is not read as "nothing happened": a coupon template's filter
    keeps no promotions, a promotion's no coupons or campaigns."""
    said = {"coupons": "", "campaigns": "", "promotions": ""}
    if not query.shows_coupons and promotion is not None:
        named = {"name": promotion.name}
        said["coupons"] = (
            _("Coupon templates are not part of this view: it is filtered to the promotion “%(name)s”.") % named
        )
        said["campaigns"] = (
            _("Campaigns are not part of this view: it is filtered to the promotion “%(name)s”.") % named
        )
    if not query.shows_promotions and template is not None:
        said["promotions"] = _(
            "Points promotions are not part of this view: it is filtered to the coupon template “%(name)s”."
        ) % {"name": template.name}
    return said


def _offers_rows(report: OffersReport, filtered_out: dict[str, str]) -> Rows:
    query = report.query
    yield [_("Offers"), query.start, query.end]
    yield []
    yield [
        _("Coupon template"),
        _("Issued"),
        _("Redeemed"),
        _("Redemption rate"),
        in_currency(_("Discount cost")),
        _("Issued outside campaigns (no holdout)"),
        _("Incremental visits"),
        in_currency(_("Cost per incremental visit")),
    ]
    if filtered_out["coupons"]:
        yield [filtered_out["coupons"]]
    for row in report.coupons:
        yield [
            row.name,
            row.issued,
            row.redeemed,
            _share(row.redemption_rate),
            _money(row.discount),
            row.outside_campaigns,
            _visits(row.incremental_visits),
            _money(row.cost_per_incremental_visit),
        ]
    yield []
    yield [
        _("Campaign"),
        _("Issued"),
        _("Redeemed"),
        _("Redemption rate"),
        in_currency(_("Discount cost")),
        _("Members sent"),
        _("Holdout members"),
        _("Came back, sent"),
        _("Came back, holdout"),
        _("Incremental visits"),
        in_currency(_("Cost per incremental visit")),
    ]
    if filtered_out["campaigns"]:
        yield [filtered_out["campaigns"]]
    for c in report.campaigns:
        extra = c.incremental_visits
        yield [
            c.name,
            c.issued,
            c.redeemed,
            _share(c.redemption_rate),
            _money(c.discount),
            c.sent,
            c.held_out,
            _share(c.sent_rate),
            _share(c.held_out_rate),
            _visits(extra),
            _money(c.cost_per_incremental_visit),
        ]
    yield []
    yield [
        _("Promotion"),
        _("Orders"),
        _("Extra points"),
        in_currency(_("Cost")),
        _("Holdout %"),
        _("Members offered"),
        _("Members who earned it"),
        _("Redemption rate"),
        _("Visits per member, offered"),
        _("Visits per member, holdout"),
        _("Incremental visits"),
        in_currency(_("Cost per incremental visit")),
    ]
    if filtered_out["promotions"]:
        yield [filtered_out["promotions"]]
    for p in report.promotions:
        yield [
            p.name,
            p.orders,
            p.points,
            _money(p.cost),
            p.holdout_percent,
            p.offered,
            p.earned,
            _share(p.redemption_rate),
            _share(p.visits_per_member),
            _share(p.held_out_visits_per_member),
            _visits(p.incremental_visits),
            _money(p.cost_per_incremental_visit),
        ]


@replica_view
def offers_report_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    form, clean = _period(request, OffersFilterForm, 90)
    template, promotion = clean.get("template"), clean.get("promotion")
    query = OffersQuery(
        start=clean["start"],
        end=clean["end"],
        template_id=template.pk if template else None,
        promotion_id=promotion.pk if promotion else None,
    )
    report = offers_report(query=query)
    filtered_out = _filtered_out(query, template, promotion)
    if request.GET.get("format") == "csv":
        return csv_download(_csv_name("offers", query.start, query.end), _offers_rows(report, filtered_out))
    context = {
        **_context(model_admin, request, _("Offers"), form),
        "report": report,
        "filtered_out": filtered_out,
        "cost_chart": charts.offers_cost_chart(report),
        "redemption_chart": charts.redemption_chart(report),
    }
    return TemplateResponse(request, "admin/payments/offers_report.html", context)
