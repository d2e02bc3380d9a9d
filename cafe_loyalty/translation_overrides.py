"""Sentences of django-allauth's two-factor pages whose 繁體中文 in allauth's
own catalogue mixes English in ("authenticator 驗證器應用程式…"). Listed here
so `makemessages` keeps them in our catalogue, which Django reads before
allauth's (LOCALE_PATHS), and our translation is the one shown."""

from django.utils.translation import gettext_noop

ALLAUTH_MFA_SENTENCES = (
    gettext_noop("An authenticator app is not active."),
    gettext_noop("Authenticator secret"),
    gettext_noop("You are about to deactivate authenticator app based authentication. Are you sure?"),
    gettext_noop("You can store this secret and use it to reinstall your authenticator app at a later time."),
)
