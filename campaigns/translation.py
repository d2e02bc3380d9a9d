"""Reward names and descriptions, and messages, in every language (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register

from campaigns.models import Broadcast, Reward


@register(Reward)
class RewardTranslationOptions(TranslationOptions):
    fields = ("name", "description")
    required_languages = {"en": ("name",)}


@register(Broadcast)
class BroadcastTranslationOptions(TranslationOptions):
    fields = ("title", "body")
    required_languages = {"en": ("title",)}
