"""Where members see recommendations: the portal home, the order-ahead
menu and the till, only with consent, never for the holdout, nothing sold
out or off the menu, and in a number of queries that does not grow with them."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from members.models import Member
from payments.models import Order, Product, Recommendation, Store
from payments.recommendations.shown import recommendations_for_member
from payments.services.ahead.controls import modifier_sold_out_set, product_sold_out_set
from tests.recommendations.conftest import agree, option, product


def recommend(
    member: Member,
    *,
    usual: str = "latte",
    options: tuple[str, ...] = ("Large", "Oat milk"),
    likes: tuple[str, ...] = (),
    holdout: bool = False,
) -> None:
    """What the nightly job would have stored for the member."""
    Recommendation.objects.create(
        member=member,
        product=product(usual),
        kind="usual",
        score=5,
        modifier_ids=[option(name).pk for name in options],
        holdout=holdout,
    )
    for rank, sku in enumerate(likes):
        Recommendation.objects.create(
            member=member, product=product(sku), kind="like", rank=rank, score=1, holdout=holdout
        )


def test_the_usual_and_likes_are_shown_with_the_options_the_member_takes(
    store: Store, shown_member: Callable[..., Member]
) -> None:
    mei = shown_member()
    recommend(mei, likes=("croissant", "banana-bread"))
    found = recommendations_for_member(member=mei, store=store)
    assert found.usual is not None and found.usual.product.sku == "latte"
    assert found.usual.options_label == "Oat milk, Large" or found.usual.options_label == "Large, Oat milk"
    assert found.usual.unit_price == 12_000 + 3_000 + 1_500
    assert [p.sku for p in found.likes] == ["croissant", "banana-bread"]


def test_sold_out_and_off_menu_items_are_left_out_and_the_next_ones_shown(
    store: Store, shown_member: Callable[..., Member]
) -> None:
    mei = shown_member()
    recommend(mei, likes=("croissant", "mocha", "oolong", "banana-bread", "drip"))
    product_sold_out_set(product=product("croissant"), store=store, sold_out=True)
    Product.objects.filter(sku="mocha").update(is_active=False)
    assert [p.sku for p in recommendations_for_member(member=mei, store=store).likes] == [
        "oolong",
        "banana-bread",
        "drip",
    ]


def test_a_usual_whose_item_or_option_is_sold_out_is_not_offered(
    store: Store, shown_member: Callable[..., Member]
) -> None:
    mei = shown_member()
    recommend(mei, likes=("croissant",))
    modifier_sold_out_set(option=option("Oat milk"), store=store, sold_out=True)
    found = recommendations_for_member(member=mei, store=store)
    assert found.usual is None and [p.sku for p in found.likes] == ["croissant"]
    modifier_sold_out_set(option=option("Oat milk"), store=store, sold_out=False)
    product_sold_out_set(product=product("latte"), store=store, sold_out=True)
    assert recommendations_for_member(member=mei, store=store).usual is None


def test_the_holdout_and_members_who_withdrew_consent_see_nothing(
    store: Store, shown_member: Callable[..., Member], make_member: Callable[..., Member]
) -> None:
    held = agree(make_member("Held"))
    recommend(held, likes=("croissant",), holdout=True)
    assert not recommendations_for_member(member=held, store=store)
    mei = shown_member()
    recommend(mei, likes=("croissant",))
    assert recommendations_for_member(member=mei, store=store)
    agree(mei, granted=False)  # withdrawn after last night's run: effective at once
    assert not recommendations_for_member(member=mei, store=store)


def _queries(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    return len(queries), html


def test_portal_home_shows_for_you_in_queries_that_do_not_grow_with_recommendations(
    store: Store, member_client: Client, member: Member
) -> None:
    agree(member)
    recommend(member, likes=("croissant",))
    member_client.get("/")  # warm the session and caches
    few, html = _queries(member_client, "/")
    assert 'data-testid="for-you"' in html and "Latte" in html and "Croissant" in html
    Recommendation.objects.filter(kind="like").delete()
    recommend_likes = ("croissant", "banana-bread", "oolong", "drip", "americano")
    for rank, sku in enumerate(recommend_likes):
        Recommendation.objects.create(member=member, product=product(sku), kind="like", rank=rank, score=1)
    many, html = _queries(member_client, "/")
    assert html.count('data-testid="like"') == 3
    assert many == few


def test_portal_home_shows_nothing_without_consent(store: Store, member_client: Client, member: Member) -> None:
    recommend(member, likes=("croissant",))
    assert 'data-testid="for-you"' not in member_client.get("/").content.decode()


def test_order_ahead_menu_shows_for_you_and_one_tap_adds_the_usual_to_the_cart(
    store: Store, member_client: Client, member: Member
) -> None:
    agree(member)
    recommend(member, likes=("croissant",))
    member_client.get(f"/order/{store.slug}/")
    few, html = _queries(member_client, f"/order/{store.slug}/")
    assert 'data-testid="usual"' in html and f'href="/order/{store.slug}/items/{product("croissant").pk}/"' in html
    for rank, sku in enumerate(("banana-bread", "oolong", "drip"), start=1):
        Recommendation.objects.create(member=member, product=product(sku), kind="like", rank=rank, score=1)
    many, _ = _queries(member_client, f"/order/{store.slug}/")
    assert many == few
    form = html.split('data-testid="usual"')[1].split("</form>")[0]
    action = form.split('action="')[1].split('"')[0]
    fields = dict(
        (part.split('name="')[1].split('"')[0], part.split('value="')[1].split('"')[0])
        for part in form.split("<input")[1:]
        if 'type="hidden"' in part
    )
    response = member_client.post(action, fields)
    assert response.status_code == 302
    cart = member_client.get(f"/order/{store.slug}/cart/").content.decode()
    assert "Latte" in cart and "Oat milk" in cart and "Large" in cart


def test_the_till_shows_the_usual_beside_the_member_and_one_tap_adds_it_with_its_options(
    pos_till: tuple[Client, Store], make_member: Callable[..., Member]
) -> None:
    client, store = pos_till
    mei = agree(make_member("Mei"))
    recommend(mei, likes=("croissant",))
    client.get("/pos/")
    order = Order.objects.get(pk=client.session["pos_order_id"])
    html = client.post(f"/pos/orders/{order.pk}/scan/", {"code": mei.card_number}, HTTP_HX_REQUEST="true").content
    html_text = html.decode()
    assert 'data-testid="till-for-you"' in html_text and "Croissant" in html_text
    response = client.post(f"/pos/orders/{order.pk}/add-usual/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    (line,) = order.lines.all()
    assert line.product.sku == "latte"
    assert set(line.modifiers.all()) == {option("Large"), option("Oat milk")}
    assert line.unit_price == 12_000 + 3_000 + 1_500


def test_the_till_offers_no_usual_to_a_member_who_did_not_agree(
    pos_till: tuple[Client, Store], make_member: Callable[..., Member]
) -> None:
    client, _ = pos_till
    mei = make_member("Mei")
    recommend(mei, likes=("croissant",))
    client.get("/pos/")
    order = Order.objects.get(pk=client.session["pos_order_id"])
    html = client.post(f"/pos/orders/{order.pk}/scan/", {"code": mei.card_number}, HTTP_HX_REQUEST="true").content
    assert b"till-for-you" not in html
    client.post(f"/pos/orders/{order.pk}/add-usual/", HTTP_HX_REQUEST="true")
    assert not order.lines.exists()
