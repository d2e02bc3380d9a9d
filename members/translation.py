"""Tier names and perks in every language (django-modeltranslation adds
`name_en`, `name_zh_hant`, `name_zh_hans`; `tier.name` is the reader's)."""

from modeltranslation.translator import TranslationOptions, register

from members.models import Tier


@register(Tier)
class TierTranslationOptions(TranslationOptions):
    fields = ("name", "perks")
    required_languages = ("en",)
