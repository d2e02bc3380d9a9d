"""Two report pages in the admin, for managers: sales (what sold, where and
when) and liability (what the programme owes in points and wallets, for the
accountant). Each has filters, charts with their figures as tables, and the
same figures as CSV (`?format=csv`). The admins of orders and accounts route
them (payments.admin_pos, payments.admin), and their view permission guards
them: a manager has it, a barista or shift manager does not. Like every
report page, they read the replica when there is one (`replica_view`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cafe_loyalty.core.money import major_units
from cafe_loyalty.core.replica import replica_view
from cafe_loyalty.core.snapshot import one_snapshot
from cafe_loyalty.core.spreadsheets import csv_download, in_currency
from payments import report_charts as charts
from payments.models import Store
from payments.selectors.liability import points_liability, wallet_liability
from payments.selectors.redemption_rate import Basis, CatalogueValuation, points_at_redemption_rate
from payments.selectors.sales import SalesQuery, SalesReport, Totals, sales_report

Rows = Iterator[Sequence[object]]
LONGEST_PERIOD = timedelta(days=3 * 366)


class SalesFilterForm(forms.Form):
    store = forms.ModelChoiceField(
        Store.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("All stores"),
        label=gettext_lazy("Store"),
    )
    start = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    grain = forms.ChoiceField(
        label=gettext_lazy("By"),
        choices=[("day", gettext_lazy("Day")), ("week", gettext_lazy("Week")), ("month", gettext_lazy("Month"))],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The period ends before it starts."))
        if start and end and end - start > LONGEST_PERIOD:
            raise forms.ValidationError(_("Choose a period of at most three years."))
        return data


def _sales_query(request: HttpRequest) -> tuple[SalesFilterForm, SalesQuery]:
    today = timezone.localdate()
    default = SalesQuery(start=today - timedelta(days=29), end=today)
    data = request.GET if "start" in request.GET else None
    form = SalesFilterForm(data, initial={"start": default.start, "end": default.end, "grain": default.grain})
    if data is None or not form.is_valid():
        return form, default
    clean = form.cleaned_data
    return form, SalesQuery(start=clean["start"], end=clean["end"], store=clean["store"], grain=clean["grain"])


def _money(amount: int | None) -> Decimal | str:
    return "" if amount is None else major_units(amount)


def _totals_row(name: object, totals: Totals) -> list[object]:
    per_order = totals.items_per_order
    return [
        name,
        totals.orders,
        totals.items,
        "" if per_order is None else round(per_order, 2),
        _money(totals.sales),
        _money(totals.refunds),
        _money(totals.average_order),
    ]


def _sales_rows(report: SalesReport) -> Rows:
    query = report.query
    yield [_("Sales"), str(query.store or _("All stores")), query.start.isoformat(), query.end.isoformat()]
    totals_header = [
        _("Orders"),
        _("Items"),
        _("Items per order"),
        in_currency(_("Sales")),
        in_currency(_("Refunds")),
        in_currency(_("Average order")),
    ]
    yield []
    yield [_("Period"), *totals_header]
    for period in report.periods:
        yield _totals_row(period.start.isoformat(), period.totals)
    yield _totals_row(_("Total"), report.totals)
    yield []
    yield [_("Store"), *totals_header]
    for store in report.stores:
        yield _totals_row(store.name, store.totals)
    yield []
    yield [_("Product"), _("Category"), _("Items"), in_currency(_("Sales")), _("Orders")]
    for item in report.products:
        yield [item.name, item.category, item.quantity, _money(item.revenue), item.orders]
    yield []
    yield [_("Category"), _("Items"), in_currency(_("Sales")), _("Orders")]
    for item in report.categories:
        yield [item.name, item.quantity, _money(item.revenue), item.orders]
    yield []
    yield [_("Orders by weekday and hour"), *(f"{h:02d}" for h in range(24))]
    for name, hours in zip(charts.weekday_names(), report.heat, strict=True):
        yield [name, *hours]


@replica_view
def sales_report_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    form, query = _sales_query(request)
    report = sales_report(query=query)
    if request.GET.get("format") == "csv":
        return csv_download(f"sales-{query.start.isoformat()}-{query.end.isoformat()}.csv", _sales_rows(report))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Sales report"),
        "form": form,
        "report": report,
        "period_chart": charts.sales_by_period_chart(report),
        "heat_chart": charts.heat_chart(report),
        "products_chart": charts.items_chart(_("Best-selling products"), report.products, _("Product")),
        "categories_chart": charts.items_chart(_("Sales by category"), report.categories, _("Category")),
        "stores_chart": charts.stores_chart(report.stores),
        "csv_query": _with_csv(request),
    }
    return TemplateResponse(request, "admin/payments/sales_report.html", context)


def _with_csv(request: HttpRequest) -> str:
    query = request.GET.copy()
    query["format"] = "csv"
    return query.urlencode()


# --- Liability ---------------------------------------------------------------------

MONTH_CHOICES = [("6", "6"), ("12", "12"), ("24", "24")]


class LiabilityFilterForm(forms.Form):
    months = forms.TypedChoiceField(
        label=gettext_lazy("Months of history"), choices=MONTH_CHOICES, coerce=int, initial="12"
    )


def _percent(share: float | None) -> str:
    return "—" if share is None else formats.number_format(share * 100, decimal_pos=1) + "%"


def _yes(value: bool) -> str:
    return _("yes") if value else _("NO: check_points / check_ledger")


def _basis(basis: str) -> str:
    return {
        Basis.HISTORY: _("History of the last 12 months"),
        Basis.CATALOGUE: _("The reward catalogue's list values"),
        Basis.POINT_VALUE: _("The value of a point at the till"),
    }[basis]


def _catalogue_rows(valued: CatalogueValuation) -> Rows:
    rate, coupons = valued.rate, valued.coupons
    yield [_("Redemption rate based on"), _basis(rate.basis)]
    yield [in_currency(_("Value of 100 points at the redemption rate")), _money(rate.per_100_points)]
    yield [in_currency(_("Value of outstanding points at the redemption rate")), _money(valued.value)]
    yield [in_currency(_("Expected breakage at the redemption rate")), _money(valued.expected_breakage_value)]
    yield [_("Reward coupons not yet used"), coupons.count]
    yield [in_currency(_("Value of reward coupons not yet used")), _money(coupons.value)]
    yield [_("Of those, worth what is bought (not valued)"), coupons.unknown]


def _reward_rows(valued: CatalogueValuation) -> Rows:
    per_100 = in_currency(_("Value per 100 points"))
    yield [_("Reward"), _("Points cost"), in_currency(_("Value of its coupon")), per_100, _("Redeemed in 12 months")]
    for reward in valued.rate.rewards:
        value = [_money(reward.coupon_value), _money(reward.per_100_points)]
        yield [reward.name, reward.points_cost, *value, reward.redemptions]


def _liability_rows(points: Any, wallets: Any, valued: CatalogueValuation) -> Rows:
    yield [_("Points and wallet liability"), timezone.localtime().isoformat(timespec="minutes")]
    yield []
    yield [_("Points outstanding (live lots)"), points.live_lots]
    yield [_("Members' points balances"), points.member_balances]
    yield [_("Points ledger entries, summed"), points.entries_total]
    yield [_("Points reconcile"), _yes(points.reconciled)]
    yield [in_currency(_("Value of one point")), _money(points.point_value)]
    yield [in_currency(_("Value of outstanding points")), _money(points.value)]
    yield [_("Points whose expiry date has passed"), points.settled]
    yield [_("Of those, expired unspent"), points.expired]
    yield [_("Breakage rate"), "" if points.breakage_rate is None else round(points.breakage_rate, 4)]
    yield [_("Expected breakage (points)"), points.expected_breakage]
    yield [in_currency(_("Expected breakage")), _money(points.expected_breakage_value)]
    yield from _catalogue_rows(valued)
    yield [in_currency(_("Wallet liability")), _money(wallets.balance)]
    yield [in_currency(_("Of it, set aside for paying offline")), _money(wallets.held_offline)]
    yield [in_currency(_("Paid in by members")), _money(wallets.paid_in)]
    yield [in_currency(_("Top-up bonus not yet spent")), _money(wallets.bonus)]
    yield [in_currency(_("Transfers into wallets and holds less out of them")), _money(wallets.transfers_net)]
    yield [_("Wallets reconcile"), _yes(wallets.reconciled)]
    yield []
    yield [_("Expires in"), _("Points"), in_currency(_("Value")), in_currency(_("Value at the redemption rate"))]
    for row in valued.by_expiry:
        month = row.month
        yield [charts.month_label(month.month), month.points, _money(month.value), _money(row.at_rate)]
    yield []
    yield from _reward_rows(valued)
    yield []
    yield [_("Month"), _("Earned"), _("Spent"), _("Expired"), _("Adjusted and refunds"), _("Points at month end")]
    for month in points.months:
        yield [charts.month_label(month.month), month.earned, month.spent, month.expired, month.other, month.closing]
    yield []
    money_headers = [_("Topped up"), _("Bonus"), _("Spent"), _("Refunded"), _("Paid back in cash"), _("Other")]
    yield [_("Month"), *(in_currency(name) for name in money_headers), in_currency(_("Held at month end"))]
    for w in wallets.months:
        amounts = [w.top_ups, w.bonus, w.spent, w.refunds, w.cash_outs, w.other, w.closing]
        yield [charts.month_label(w.month), *(_money(a) for a in amounts)]


@replica_view
def liability_report_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    form = LiabilityFilterForm(request.GET if "months" in request.GET else None)
    months = form.cleaned_data["months"] if form.is_bound and form.is_valid() else 12
    with one_snapshot():  # the figures it reconciles, read as of one moment
        points, wallets = points_liability(months=months), wallet_liability(months=months)
        valued = points_at_redemption_rate(points)
    if request.GET.get("format") == "csv":
        rows = _liability_rows(points, wallets, valued)
        return csv_download(f"liability-{timezone.localdate().isoformat()}.csv", rows)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Points and wallet liability"),
        "form": form,
        "points": points,
        "wallets": wallets,
        "valued": valued,
        "breakage_percent": _percent(points.breakage_rate),
        "expiry_chart": charts.expiry_chart(points),
        "points_chart": charts.points_flow_chart(points),
        "wallet_chart": charts.wallet_flow_chart(wallets),
        "balance_chart": charts.wallet_balance_chart(wallets),
        "csv_query": _with_csv(request),
    }
    return TemplateResponse(request, "admin/payments/liability_report.html", context)
