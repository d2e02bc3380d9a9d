"""Every word in the reader's language: both catalogues complete, 简体中文 in
mainland terms, and the data people read (tiers, rewards, the menu) in all
three languages — in the demo and on the till, receipts and the API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polib  # type: ignore[import-untyped,unused-ignore]  # no stubs (a warm mypy cache sometimes knows it typed)
import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from campaigns.demo import load_campaigns_demo
from campaigns.models import CouponTemplate, Reward
from members.models import Member, Tier
from members.tiers import tier_override
from payments.management.commands.load_menu_demo import load_menu_demo
from payments.models import Category, ModifierOption, Order, Product, Store
from tests.conftest import PASSWORD, MemberFactory

CATALOGUES = sorted(Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/django.po"))
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def test_there_are_two_catalogues() -> None:
    assert [path.parts[-3] for path in CATALOGUES] == ["zh_Hans", "zh_Hant"]


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_every_catalogue_entry_is_translated_and_none_is_fuzzy(path: Path) -> None:
    catalogue = polib.pofile(str(path))
    live = [entry for entry in catalogue if not entry.obsolete]
    assert len(live) > 900
    assert [entry.msgid for entry in live if not entry.translated()] == []
    assert [entry.msgid for entry in live if entry.fuzzy] == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_every_translation_keeps_the_placeholders_of_its_message(path: Path) -> None:
    wrong = []
    for entry in polib.pofile(str(path)):
        if entry.obsolete:
            continue
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        wrong += [entry.msgid for text in translations if sorted(PLACEHOLDER.findall(text)) != wanted]
    assert wrong == []


# Words Taiwan uses where the mainland says something else (导出, 记录, 账户, 信息, 默认 …).
TAIWAN_TERMS = (
    "汇出 汇入 纪录 帐户 帐号 结帐 资讯 预设 影片 软体 网路 资料 登入 登出 设定 档案 储存 储值 门市 闸道 "
    "品项 回馈 连结 搜寻 选单 载入 终端机 金钥 透过 支援 使用者 讯息 萤幕 列印 伺服器 程式 班别"
).split()


def test_simplified_chinese_uses_mainland_terms() -> None:
    catalogue = polib.pofile(str(Path(settings.BASE_DIR, "locale/zh_Hans/LC_MESSAGES/django.po")))
    found = {
        term: entry.msgid
        for entry in catalogue
        if not entry.obsolete
        for term in TAIWAN_TERMS
        if term in entry.msgstr + "".join(entry.msgstr_plural.values())
    }
    assert found == {}


LANGUAGES = ("en", "zh_hant", "zh_hans")


def names_missing(model: Any, field: str = "name") -> list[str]:
    """Rows of `model` with an empty name in one of the three languages."""
    return [
        f"{model.__name__} {row.pk} {language}"
        for row in model.objects.all()
        for language in LANGUAGES
        if not getattr(row, f"{field}_{language}")
    ]


@pytest.mark.django_db
def test_the_demo_data_is_in_all_three_languages() -> None:
    load_menu_demo()
    load_campaigns_demo()
    counts = [model.objects.count() for model in (Tier, Reward, Product, Category, ModifierOption)]
    assert all(counts) and counts[0] == 3  # the tiers the migrations seed
    missing = [
        *names_missing(Tier),
        *names_missing(Reward),
        *names_missing(Product),
        *names_missing(Category),
        *names_missing(ModifierOption),
        *names_missing(ModifierOption, "group"),
    ]
    assert missing == []
    latte = Product.objects.get(sku="latte")
    assert (latte.name_en, latte.name_zh_hant, latte.name_zh_hans) == ("Latte", "拿鐵", "拿铁")  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_a_second_demo_load_fills_the_chinese_names_of_an_english_only_menu() -> None:
    load_menu_demo()
    Product.objects.filter(sku="latte").update(name_zh_hant=None, name_zh_hans=None)
    load_menu_demo()
    assert names_missing(Product) == []


def till_page(client: Client, language: str) -> str:
    return client.get("/pos/", HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_the_till_shows_the_menu_in_the_tills_language(pos_till: tuple[Client, Store]) -> None:
    client, _store = pos_till
    chinese = till_page(client, "zh-hant")
    assert "拿鐵" in chinese and "咖啡" in chinese and "Latte" not in chinese
    assert "拿铁" in till_page(client, "zh-hans")
    assert "Latte" in till_page(client, "en")


def test_the_tills_modifier_buttons_are_in_its_language_and_keep_their_order(pos_till: tuple[Client, Store]) -> None:
    client, _store = pos_till
    client.get("/pos/")
    order = Order.objects.get(pk=client.session["pos_order_id"])
    latte = Product.objects.get(sku="latte")
    cart = client.post(
        f"/pos/orders/{order.pk}/add/{latte.pk}/", HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="zh-hant"
    ).content.decode()
    # Group labels and options in Chinese; test ids and order from the English names.
    assert 'aria-label="容量"' in cart and ">大杯" in cart and "燕麥奶" in cart
    assert cart.index('data-testid="mod-size"') < cart.index('data-testid="mod-milk"') < cart.index("mod-extras")
    assert "Large" not in cart


def test_the_till_finds_a_product_by_its_name_in_any_language(pos_till: tuple[Client, Store]) -> None:
    client, _store = pos_till
    for query in ("latte", "拿鐵", "拿铁"):
        found = client.get("/pos/search/", {"q": query}, HTTP_HX_REQUEST="true").content.decode()
        assert "Latte" in found, query
    assert "Croissant" not in client.get("/pos/search/", {"q": "拿鐵"}, HTTP_HX_REQUEST="true").content.decode()


def test_receipts_name_the_items_in_the_readers_language(pos_till: tuple[Client, Store]) -> None:
    client, _store = pos_till
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username="r@example.com", email="r@example.com", password=PASSWORD)
    member = MemberFactory.create(user=user, display_name="R", email="r@example.com")
    client.get("/pos/")
    order = Order.objects.get(pk=client.session["pos_order_id"])
    client.post(f"/pos/orders/{order.pk}/add/{Product.objects.get(sku='croissant').pk}/", HTTP_HX_REQUEST="true")
    client.post(f"/pos/orders/{order.pk}/scan/", {"code": member.card_number}, HTTP_HX_REQUEST="true")
    client.post(f"/pos/orders/{order.pk}/pay/", {"kind": "card", "key": "r1"}, HTTP_HX_REQUEST="true")
    member_client = Client()
    member_client.force_login(user)
    portal = member_client.get(f"/wallet/receipts/{order.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert "可頌" in portal and "Croissant" not in portal
    till = client.get(f"/pos/orders/{order.pk}/receipt/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "牛角面包" in till


def test_rewards_show_their_name_in_the_members_language(member_client: Client) -> None:
    template = CouponTemplate.objects.create(name="Free pastry", kind=CouponTemplate.Kind.FREE_ITEM)
    Reward.objects.create(
        name_en="Pastry of your choice",
        name_zh_hant="任選一款糕點",
        name_zh_hans="任选一款糕点",
        points_cost=200,
        template=template,
    )
    assert "任選一款糕點" in member_client.get("/offers/", HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert "Pastry of your choice" in member_client.get("/offers/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.django_db
def test_a_name_left_empty_in_chinese_shows_the_english_one() -> None:
    from django.utils import translation

    category = Category.objects.create(name_en="Seasonal", slug="seasonal")
    with translation.override("zh-hant"):
        assert str(category.name) == "Seasonal"


@pytest.mark.django_db
def test_a_tier_notice_names_the_tier_in_the_members_language() -> None:
    member = MemberFactory.create()
    Member.objects.filter(pk=member.pk).update(preferred_language="zh-hans")
    member.refresh_from_db()
    tier_override(member=member, tier=Tier.objects.get(slug="gold"), reason="VIP", until=None)
    assert member.notices.get().title == "你的等级现在是 金阶"


def test_the_api_names_tiers_in_english_whatever_the_language(member_user: Any) -> None:
    login = APIClient().post(
        "/_allauth/app/v1/auth/login", {"email": member_user.email, "password": PASSWORD}, format="json"
    )
    api = APIClient(HTTP_X_SESSION_TOKEN=login.json()["meta"]["session_token"])
    english = api.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = api.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="zh-hant").json()
    assert english["tier"] == chinese["tier"] == "Green"
    assert chinese["tier_progress"]["next_tier"] == "Gold"
    assert "金階" in chinese["tier_progress"]["hint"]  # the sentence is for people: in their language
