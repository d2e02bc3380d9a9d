"""Reward names and descriptions in every language (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register

from campaigns.models import Reward


@register(Reward)
class RewardTranslationOptions(TranslationOptions):
    fields = ("name", "description")
    required_languages = {"en": ("name",)}
