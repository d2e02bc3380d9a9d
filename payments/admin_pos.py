"""Back office for the till: menu (with CSV import/export), orders, shifts."""

from __future__ import annotations

import csv
import io
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from modeltranslation.admin import TranslationAdmin

from cafe_loyalty.core.admin_records import MoneyAdmin, MoneyFieldsMixin, money_text
from cafe_loyalty.core.money import format_money, parse_money
from cafe_loyalty.core.spreadsheets import csv_cell, csv_cell_read
from payments import admin_insight, admin_reports
from payments.models import (
    CashMovement,
    Category,
    ModifierOption,
    Order,
    OrderLine,
    OrderRefund,
    Product,
    Shift,
    Tender,
)
from payments.selectors.shifts import z_report

CSV_COLUMNS = ["sku", "name", "category", "price", "modifiers", "quick_key", "active"]


@admin.register(Category)
class CategoryAdmin(TranslationAdmin):  # the menu has a name per language
    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ModifierOption)
class ModifierOptionAdmin(TranslationAdmin, MoneyAdmin):
    list_display = ["group", "name", "price", "is_default", "position"]
    list_filter = ["group"]
    money_fields = ["price"]
    # Sold out per store: plain checkboxes, as on products (see ProductAdmin).
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}


class CsvImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=format_lazy(
            gettext_lazy(
                "Columns: {columns} (names in English; price like 120 or 120.50; modifiers as Group:Name;Group:Name)"
            ),
            columns=", ".join(CSV_COLUMNS),
        ),
    )


@admin.register(Product)
class ProductAdmin(TranslationAdmin, MoneyAdmin):
    list_display = ["name", "sku", "category", "price", "quick_key", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["name", "sku"]
    # Plain checkboxes, not the stock two-box picker: its search icons carry an
    # aria-label on a bare <span> (axe: aria-prohibited-attr), and a menu has
    # few enough modifiers and stores to tick.
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}
    list_select_related = ["category"]
    actions = ["export_csv"]
    change_list_template = "admin/payments/product/change_list.html"
    money_fields = ["price"]

    def get_urls(self) -> list[Any]:
        return [
            path("import-csv/", self.admin_site.admin_view(self.import_csv), name="payments_product_import")
        ] + super().get_urls()

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "can_import": self._can_import(request)}
        return super().changelist_view(request, extra_context)

    def _can_import(self, request: HttpRequest) -> bool:
        # An import changes existing products and adds new ones.
        return self.has_change_permission(request) and self.has_add_permission(request)

    @admin.action(description=gettext_lazy("Export the selected products as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Product]) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="menu.csv"'
        writer = csv.writer(response)
        writer.writerow(CSV_COLUMNS)
        # The CSV carries the English names, whatever the manager's language:
        # an import finds modifiers and names products by them (Chinese names
        # are edited in the admin).
        with translation.override("en"):
            rows = [
                self._csv_row(product) for product in queryset.select_related("category").prefetch_related("modifiers")
            ]
        for row in rows:
            writer.writerow([csv_cell(cell) for cell in row])
        return response

    @staticmethod
    def _csv_row(product: Product) -> list[Any]:
        return [
            product.sku,
            product.name,
            product.category.slug,
            money_text(product.price),
            ";".join(f"{m.group}:{m.name}" for m in product.modifiers.all()),
            product.quick_key or "",
            "yes" if product.is_active else "no",
        ]

    def import_csv(self, request: HttpRequest) -> HttpResponse:
        if not self._can_import(request):
            raise PermissionDenied(_("Importing the menu needs permission to add and change products."))
        form = CsvImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                count = import_menu_csv(
                    io.TextIOWrapper(form.cleaned_data["file"].file, encoding="utf-8-sig", newline="")
                )
            except (ValueError, KeyError) as exc:
                form.add_error("file", _("Nothing imported: %(problem)s") % {"problem": exc})
            else:
                messages.success(request, _("Imported %(count)d products.") % {"count": count})
                return redirect("admin:payments_product_changelist")
        return render(
            request,
            "admin/payments/product/import.html",
            {"form": form, "title": _("Import menu CSV"), **self.admin_site.each_context(request)},
        )


def import_menu_csv(handle: Any) -> int:
    """Create or update products from CSV; all rows or none."""
    rows = [{key: csv_cell_read(value or "") for key, value in row.items() if key} for row in csv.DictReader(handle)]
    missing = set(CSV_COLUMNS[:4]) - set(rows[0].keys() if rows else [])
    if missing:
        raise ValueError(f"missing columns {', '.join(sorted(missing))}")
    with transaction.atomic(), translation.override("en"):  # the CSV's names are English (see export_csv)
        for number, row in enumerate(rows, start=2):
            _import_row(number, row)
    return len(rows)


def _import_row(number: int, row: dict[str, str]) -> None:
    category = Category.objects.filter(slug=row["category"].strip()).first()
    if category is None:
        raise ValueError(f"line {number}: unknown category {row['category']!r}")
    try:
        price = parse_money(row["price"])
    except ValueError:
        raise ValueError(f"line {number}: price {row['price']!r} is not an amount") from None
    quick_key = (row.get("quick_key") or "").strip()
    product = Product.objects.filter(sku=row["sku"].strip()).first() or Product(sku=row["sku"].strip())
    product.name = row["name"].strip()
    product.category = category
    product.price = price
    product.quick_key = int(quick_key) if quick_key.isascii() and quick_key.isdigit() and len(quick_key) < 3 else None
    product.is_active = (row.get("active") or "yes").strip().lower() not in {"no", "0", "false"}
    try:
        product.full_clean(exclude=["image"], validate_unique=False)
    except ValidationError as exc:
        problems = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
        raise ValueError(f"line {number}: {problems}") from None
    product.save()
    names = [part.split(":", 1) for part in (row.get("modifiers") or "").split(";") if ":" in part]
    options = [ModifierOption.objects.filter(group=g.strip(), name=n.strip()).first() for g, n in names]
    if None in options:
        raise ValueError(f"line {number}: unknown modifier in {row.get('modifiers')!r}")
    product.modifiers.set([option for option in options if option is not None])


class OrderLineInline(MoneyFieldsMixin, admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = readonly_fields = ("product", "quantity", "unit_price", "modifiers_label")
    money_fields = ["unit_price"]
    can_delete = False


class TenderInline(MoneyFieldsMixin, admin.TabularInline):
    model = Tender
    extra = 0
    fields = readonly_fields = ("kind", "status", "amount", "change_given", "points_used", "refunded_amount", "payment")
    money_fields = ["amount", "change_given", "refunded_amount"]
    can_delete = False


class OrderRefundInline(MoneyFieldsMixin, admin.TabularInline):
    """Each refund of the order, in the shift it was made in."""

    model = OrderRefund
    money_fields = ["amount"]
    extra = 0
    fields = readonly_fields = ("number", "created_at", "amount", "given_back", "shift", "reason", "approved_by")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("given back"))
    def given_back(self, obj: OrderRefund) -> str:
        return ", ".join(f"{part.tender.get_kind_display()} {format_money(part.amount)}" for part in obj.parts.all())


@admin.register(Order)
class OrderAdmin(MoneyAdmin):
    """Every sale, from the till and from the API, with its tenders and refunds."""

    list_display = [
        "pk",
        "created_at",
        "store",
        "channel",
        "member",
        "total",
        "refunded_amount",
        "status",
        "prep_status",
        "pickup_at",
        "points_earned",
    ]
    list_filter = ["status", "channel", "prep_status", "store", "created_at"]
    date_hierarchy = "created_at"
    list_select_related = ["store", "member"]
    inlines = [OrderLineInline, TenderInline, OrderRefundInline]
    readonly_fields = [f.name for f in Order._meta.fields]
    money_fields = ["subtotal", "discount", "total", "refunded_amount"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        report = path(
            "report/",
            self.admin_site.admin_view(lambda request: admin_reports.sales_report_view(self, request)),
            name="payments_order_report",
        )
        repurchase = path(
            "repurchase/",
            self.admin_site.admin_view(lambda request: admin_insight.repurchase_report_view(self, request)),
            name="payments_order_repurchase",
        )
        offers = path(
            "offers/",
            self.admin_site.admin_view(lambda request: admin_insight.offers_report_view(self, request)),
            name="payments_order_offers",
        )
        return [report, repurchase, offers, *super().get_urls()]


class CashMovementInline(MoneyFieldsMixin, admin.TabularInline):
    model = CashMovement
    money_fields = ["amount"]
    extra = 0
    readonly_fields = ["amount", "reason", "actor", "created_at"]
    can_delete = False


@admin.register(Shift)
class ShiftAdmin(MoneyAdmin):
    """Shifts per store and day, with each one's Z report."""

    list_display = ["store", "opened_at", "closed_at", "opening_float", "expected_cash", "counted_cash", "difference"]
    list_filter = ["store", "opened_at"]
    date_hierarchy = "opened_at"
    list_select_related = ["store"]
    inlines = [CashMovementInline]
    readonly_fields = ["z_report_table"]
    money_fields = ["opening_float", "expected_cash", "counted_cash"]

    @admin.display(description=gettext_lazy("counted − expected"))
    def difference(self, obj: Shift) -> str:
        if obj.counted_cash is None or obj.expected_cash is None:
            return ""
        return format_money(obj.counted_cash - obj.expected_cash)

    @admin.display(description=gettext_lazy("Z report"))
    def z_report_table(self, obj: Shift) -> str:
        return render_to_string("pos/z_table.html", {"report": z_report(shift=obj)})
