"""Online top-up from the portal (wallet_top_up_online): the card is charged
only for money the wallet takes, a refused charge is voided, and a form tops up
once but can be sent again after a refusal."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from members.models import Member
from payments.exceptions import OnlineTopUpUnavailable, TopUpAmountInvalid
from payments.gateway import GatewayCharge, TestGateway, TopUpGateway
from payments.models import Account, IdempotencyRecord, ProgrammeSettings, TopUp, TopUpBonusRule, Transfer
from payments.selectors.ledger import ledger_problems
from payments.services import top_ups
from payments.services.top_ups import wallet_top_up, wallet_top_up_online

pytestmark = pytest.mark.django_db

URL = "/wallet/top-up/"


@dataclass
class DecliningGateway(TestGateway):
    def charge(self, *, amount: int, member_reference: str, idempotency_key: str) -> GatewayCharge:
        return GatewayCharge(approved=False, reference="", message="Card expired.")


@dataclass
class CapLoweredDuringCharge(TestGateway):
    """Approves; while the first card is being charged a manager lowers the
    wallet cap, so the wallet refuses the money after the charge."""

    keys: list[str] = field(default_factory=list)

    def charge(self, *, amount: int, member_reference: str, idempotency_key: str) -> GatewayCharge:
        self.keys.append(idempotency_key)
        if not self.charged:
            _set_wallet_cap(10_000)
        return super().charge(amount=amount, member_reference=member_reference, idempotency_key=idempotency_key)


def _set_wallet_cap(cap: int) -> None:
    row = ProgrammeSettings.objects.get(pk=ProgrammeSettings.current().pk)
    row.wallet_cap = cap
    row.save()  # the save forgets the memoised settings


@pytest.fixture
def use_gateway(monkeypatch: pytest.MonkeyPatch) -> Callable[[TopUpGateway | None], None]:
    def use(gateway: TopUpGateway | None) -> None:
        monkeypatch.setattr(top_ups, "active_gateway", lambda: gateway)

    return use


def _token_on_page(html: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _nothing_left_behind() -> None:
    assert not TopUp.objects.exists()
    assert not Transfer.objects.exists()
    assert not IdempotencyRecord.objects.exists()
    assert ledger_problems() == []


def test_refusal_after_the_charge_voids_it_and_leaves_no_top_up(
    member_client: Client, use_gateway: Callable[[TopUpGateway | None], None]
) -> None:
    gateway = CapLoweredDuringCharge()
    use_gateway(gateway)
    response = member_client.post(URL, {"amount": "500", "token": "tok-race"})
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'id_amount".*?errorlist.*?The wallet can hold at most', html, re.S)  # under the amount
    assert len(gateway.charged) == 1
    assert gateway.voided == gateway.charged
    assert _token_on_page(html) not in ("", "tok-race")  # a fresh key for the next try
    _nothing_left_behind()


def test_same_form_can_be_resent_after_a_refusal_after_the_charge(
    member_client: Client, member: Member, use_gateway: Callable[[TopUpGateway | None], None]
) -> None:
    gateway = CapLoweredDuringCharge()
    use_gateway(gateway)
    form = {"amount": "500", "token": "tok-again"}
    assert member_client.post(URL, form).status_code == 200
    _set_wallet_cap(2_000_000)
    assert member_client.post(URL, form).status_code == 302  # the browser resends the very same form
    top_up = TopUp.objects.get()
    assert (top_up.member, top_up.amount, top_up.tender) == (member, 50_000, TopUp.Tender.ONLINE)
    assert top_up.gateway_reference == gateway.charged[1]
    assert gateway.voided == gateway.charged[:1]
    assert len(set(gateway.keys)) == 2  # a new charge at the gateway, not a replay of the voided one
    assert Account.objects.get(member=member).balance == 50_000
    assert ledger_problems() == []


def test_refusal_before_the_charge_never_charges_and_counts_the_bonus(
    member_client: Client, member: Member, use_gateway: Callable[[TopUpGateway | None], None]
) -> None:
    gateway = TestGateway()
    use_gateway(gateway)
    wallet_top_up(member=member, amount=1_000_000, tender="cash")
    wallet_top_up(member=member, amount=950_000, tender="cash")
    TopUpBonusRule.objects.create(name="500 get 100", min_amount=50_000, bonus=10_000)
    # 19,500 + 500 fits the cap of 20,000, but not with the bonus of 100.
    form = {"amount": "500", "token": "tok-cap"}
    response = member_client.post(URL, form)
    assert b"The wallet can hold at most" in response.content
    assert gateway.charged == []
    assert member_client.post(URL, {**form, "amount": "400"}).status_code == 302  # same form, smaller amount
    assert gateway.charged and gateway.voided == []
    assert Account.objects.get(member=member).balance == 1_990_000
    assert ledger_problems() == []


def test_declined_card_leaves_nothing_and_frees_the_form(
    member_client: Client, member: Member, use_gateway: Callable[[TopUpGateway | None], None]
) -> None:
    use_gateway(DecliningGateway())
    form = {"amount": "500", "token": "tok-declined"}
    response = member_client.post(URL, form)
    assert response.status_code == 200
    assert re.search(r'id_amount".*?errorlist.*?Card expired\.', response.content.decode(), re.S)
    _nothing_left_behind()
    use_gateway(TestGateway())  # another card
    assert member_client.post(URL, form).status_code == 302
    assert Account.objects.get(member=member).balance == 50_000


def test_double_submit_tops_up_once(
    member_client: Client, member: Member, use_gateway: Callable[[TopUpGateway | None], None]
) -> None:
    gateway = TestGateway()
    use_gateway(gateway)
    form = {"amount": "500", "token": "tok-twice"}
    assert member_client.post(URL, form).status_code == 302
    second = member_client.post(URL, form, follow=True)
    assert b"That top-up was already processed." in second.content
    assert len(gateway.charged) == 1
    assert TopUp.objects.get().gateway_reference == gateway.charged[0]
    assert Account.objects.get(member=member).balance == 50_000
    assert ledger_problems() == []


def test_amount_outside_the_range_is_refused_before_the_charge(
    member_user: Any, member: Member, use_gateway: Callable[[TopUpGateway | None], None]
) -> None:
    gateway = TestGateway()
    use_gateway(gateway)
    with pytest.raises(TopUpAmountInvalid):
        wallet_top_up_online(member=member, amount=100, form_key="k-small", user=member_user)
    assert gateway.charged == []
    _nothing_left_behind()


def test_failure_while_crediting_voids_the_charge(
    member_user: Any, member: Member, use_gateway: Callable[[TopUpGateway | None], None], monkeypatch: Any
) -> None:
    gateway = TestGateway()
    use_gateway(gateway)

    def database_gone(**kwargs: Any) -> Any:
        raise RuntimeError("connection lost")

    monkeypatch.setattr(top_ups, "wallet_top_up", database_gone)
    with pytest.raises(RuntimeError):
        wallet_top_up_online(member=member, amount=50_000, form_key="k-lost", user=member_user)
    assert len(gateway.charged) == 1 and gateway.voided == gateway.charged
    _nothing_left_behind()


def test_failure_after_the_money_is_in_keeps_the_charge(
    member_user: Any, member: Member, use_gateway: Callable[[TopUpGateway | None], None], monkeypatch: Any
) -> None:
    gateway = TestGateway()
    use_gateway(gateway)

    def credited_then_failed(**kwargs: Any) -> Any:
        wallet_top_up(**kwargs)
        raise RuntimeError("notice could not be queued")

    monkeypatch.setattr(top_ups, "wallet_top_up", credited_then_failed)
    with pytest.raises(RuntimeError):
        wallet_top_up_online(member=member, amount=50_000, form_key="k-late", user=member_user)
    assert gateway.voided == []
    assert Account.objects.get(member=member).balance == 50_000
    # The key stays claimed: the same form must not charge the card again.
    assert wallet_top_up_online(member=member, amount=50_000, form_key="k-late", user=member_user) is None
    assert len(gateway.charged) == 1
    assert ledger_problems() == []


def test_without_a_gateway_nothing_is_claimed(
    member_user: Any, member: Member, use_gateway: Callable[[TopUpGateway | None], None]
) -> None:
    use_gateway(None)
    with pytest.raises(OnlineTopUpUnavailable):
        wallet_top_up_online(member=member, amount=50_000, form_key="k-off", user=member_user)
    _nothing_left_behind()
