"""Sentences of other packages' pages whose Chinese is missing or mixes
English in, listed here so `makemessages` keeps them in our catalogue, which
Django reads before the packages' own (LOCALE_PATHS), and our translation is
the one shown.

- django-allauth's two-factor pages: its 繁體中文 mixes English in
  ("authenticator 驗證器應用程式…").
- The admin's app list (beside every admin page): Django 5.2's 简体中文 has no
  translation for its column headers, so they showed in English."""

from django.utils.translation import gettext_noop

ALLAUTH_MFA_SENTENCES = (
    gettext_noop("An authenticator app is not active."),
    gettext_noop("Authenticator secret"),
    gettext_noop("You are about to deactivate authenticator app based authentication. Are you sure?"),
    gettext_noop("You can store this secret and use it to reinstall your authenticator app at a later time."),
)

ADMIN_APP_LIST_HEADERS = (
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
)
