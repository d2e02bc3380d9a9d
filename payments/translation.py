"""The menu in every language (django-modeltranslation): categories, products,
and modifier options with their group's name ("Size" / "尺寸" / "尺寸")."""

from modeltranslation.translator import TranslationOptions, register

from payments.models import Category, ModifierOption, Product


@register(Category)
class CategoryTranslationOptions(TranslationOptions):
    fields = ("name",)
    required_languages = ("en",)


@register(ModifierOption)
class ModifierOptionTranslationOptions(TranslationOptions):
    fields = ("group", "name")
    required_languages = ("en",)


@register(Product)
class ProductTranslationOptions(TranslationOptions):
    fields = ("name",)
    required_languages = ("en",)
