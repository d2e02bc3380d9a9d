"""The till on PostgreSQL with real threads: concurrent taps and refunds on
one order move its money once."""

from __future__ import annotations

from typing import Any

import pytest

from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Order, Payment, Product, Refund, Store, Tender
from payments.selectors.ledger import ledger_problems
from payments.services.codes import hash_payment_code, payment_code_issue
from payments.services.orders import TillError, order_add_product, order_add_tender, order_attach_member, order_open
from payments.services.top_ups import wallet_top_up
from tests.conftest import MemberFactory
from tests.helpers import pay_from_wallet, run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_refunds_of_one_order_refund_it_once(barista_user: Any) -> None:
    from payments.services.orders import order_refund

    load_menu_demo()
    store = Store.objects.create(name="Xinyi", slug="xinyi")
    member = MemberFactory.create(display_name="R", email="r@example.com")
    wallet_top_up(member=member, amount=50_000, tender="cash", store=store)
    order = order_open(store=store, barista=barista_user)
    order_add_product(order=order, product=Product.objects.get(sku="latte"))
    order.refresh_from_db()
    order_attach_member(
        order=order, member=member, scanned_code_hash=hash_payment_code(payment_code_issue(member=member).code)
    )
    order_add_tender(order=order, kind=Tender.Kind.WALLET, idempotency_key="pay-1", actor=barista_user)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID

    def refund(_i: int) -> Any:
        return order_refund(order=Order.objects.get(pk=order.pk), actor=barista_user, reason="spilt").refund.amount

    results = run_concurrently(8, refund, allowed=(TillError,))
    refunded = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, TillError)]
    assert refunded == [order.total], results
    assert len(refused) == 7, results
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED and order.refunded_amount == order.total
    assert Refund.objects.count() == 1
    assert Payment.objects.get().refunded_amount == order.total
    assert ledger_problems() == []


def test_concurrent_cash_taps_take_what_is_due_once(barista_user: Any) -> None:
    load_menu_demo()
    store = Store.objects.create(name="Zhongshan", slug="zhongshan")
    order = order_open(store=store, barista=barista_user)
    order_add_product(order=order, product=Product.objects.get(sku="latte"))
    order.refresh_from_db()

    def tap(i: int) -> Any:
        key = "same-tap" if i % 2 else f"tap-{i}"  # double taps and separate taps
        return order_add_tender(
            order=Order.objects.get(pk=order.pk), kind=Tender.Kind.CASH, idempotency_key=key, actor=barista_user
        )

    # Each tap either takes the cash, replays the double tap, or is told
    # nothing is left to pay; none fails in another way.
    run_concurrently(6, tap, allowed=(TillError,))
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert sum(t.amount for t in Tender.objects.filter(order=order)) == order.total


def test_concurrent_cash_outs_and_payments_never_pay_back_more_than_is_there(
    shift_manager_user: Any,
) -> None:
    from payments.exceptions import WalletError
    from payments.models import Account, CashOut
    from payments.services.cash_out import wallet_cash_out

    store = Store.objects.create(name="Songshan", slug="songshan")
    member = MemberFactory.create(display_name="C", email="c@example.com")
    wallet_top_up(member=member, amount=60_000, tender="cash", store=store)
    codes = [payment_code_issue(member=member).code for _ in range(3)]

    def act(i: int) -> Any:
        if i % 2:  # "pay back everything" taps
            return wallet_cash_out(
                member=member, store=store, actor=shift_manager_user, approved_by=shift_manager_user, reason="leaving"
            )[0].amount
        return pay_from_wallet(code=codes[i // 2 % 3], amount=20_000).amount

    results = run_concurrently(8, act, allowed=(WalletError,))
    paid_back = sum(c.amount for c in CashOut.objects.all())
    spent = sum(p.amount for p in Payment.objects.filter(status=Payment.Status.SUCCEEDED))
    # Whatever the order, the money leaves once: the first cash-out takes all
    # that is left, and payments after it find nothing.
    assert CashOut.objects.count() <= 1, results
    assert paid_back + spent == 60_000
    assert Account.objects.get(member=member).balance == 0
    assert ledger_problems() == []
