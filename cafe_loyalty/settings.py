"""Settings for cafe loyalty & wallet, read from the environment (django-environ).

One settings module for every machine: development defaults apply only while
DEBUG is on; production sets SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL etc.
"""

from __future__ import annotations

import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from cafe_loyalty.databases import database_routers, databases

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Under pytest the dev defaults (secret key, plain static storage) apply.
TESTING = env.bool("CAFE_TESTING", default="pytest" in sys.modules)
# With DEBUG off (and not under tests) nothing falls back to a development
# default: each variable read with `_required` must be set, and the settings
# refuse to load at the end of this module, naming every one that is missing
# or unsafe (README, "Production").
PRODUCTION = not DEBUG and not TESTING
_refusals: list[str] = []


def _required(name: str, *, dev_default: str) -> str:
    """The variable's value; `dev_default` only while developing or testing."""
    value = env.str(name, default="")
    if value:
        return value
    if PRODUCTION:
        _refusals.append(f"{name} is not set")
    return dev_default


SECRET_KEY = _required("SECRET_KEY", dev_default="dev-only-insecure-key-not-for-production-use-0123456789")

ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "modeltranslation",  # before the admin, as django-modeltranslation asks
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
    "allauth.usersessions",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "cafe_loyalty",
    "members",
    "campaigns",
    "payments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "cafe_loyalty.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cafe_loyalty.middleware.RequestLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "cafe_loyalty.middleware.SessionPolicyMiddleware",
    "cafe_loyalty.middleware.StaffMfaMiddleware",
]

ROOT_URLCONF = "cafe_loyalty.urls"
WSGI_APPLICATION = "cafe_loyalty.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cafe_loyalty.context_processors.cafe",
            ],
            "builtins": ["cafe_loyalty.templatetags.money", "cafe_loyalty.templatetags.qr"],
        },
    }
]

# --- Database -------------------------------------------------------------
# The primary (DATABASE_URL) and, with DATABASE_REPLICA_URL, a read replica
# for reports and nightly jobs (cafe_loyalty.databases, cafe_loyalty.core.replica).
DATABASES = databases(env, default_url=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASE_ROUTERS = database_routers(DATABASES)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rate limits (allauth, DRF throttles), approver guess counts and used TOTP
# codes live in the cache, so in production it must be shared by every worker.
CACHE_URL = _required("CACHE_URL", dev_default="locmemcache://")
CACHES = {"default": environ.Env.cache_url_config(CACHE_URL)}
_PER_PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")
if PRODUCTION and CACHES["default"]["BACKEND"] in _PER_PROCESS_CACHES and env.str("CACHE_URL", default=""):
    _refusals.append(
        "CACHE_URL must be a shared cache (redis://… or dbcache://…), not a per-process one: "
        "rate limits and approver guess counts must hold across workers"
    )

# --- Auth & allauth -------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    # Staff (a role or admin access) need 12 characters: their accounts move money.
    {"NAME": "cafe_loyalty.core.passwords.StaffMinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Tests create many users and sign in often; a slow hash there only costs
    # time. Real deployments keep Django's default (PBKDF2).
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_SIGNUP_FORM_CLASS = "members.forms.SignupForm"
ACCOUNT_ADAPTER = "members.adapters.AccountAdapter"
# "Signed in as Lin Wen", not the username allauth made from the email's local part.
ACCOUNT_USER_DISPLAY = "members.adapters.user_display"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS: dict[str, str] | bool = (
    {}
    if env.bool("CAFE_DISABLE_RATE_LIMITS", default=False)
    else {
        "login_failed": "10/m/ip,5/5m/key",
        "signup": "20/m/ip",
        "confirm_email": "1/3m/key",
        "reset_password": "20/m/ip,5/m/key",
    }
)
# Authenticator apps (TOTP), security keys and passkeys (WebAuthn) as second
# factors, with recovery codes as the fallback.
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_FORMS = {"authenticate": "cafe_loyalty.auth_forms.TwoFactorForm"}
# Members and staff who registered a passkey can sign in with it alone
# (a passkey is itself two factors: the device and its unlock).
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG  # http://127.0.0.1 during development only
# The programme's name on every page and in every email's subject and greeting
# (the default is translated; a cafe's own name is shown as written).
CAFE_PROGRAMME_NAME = env.str("CAFE_PROGRAMME_NAME", default="Cafe Loyalty")
MFA_TOTP_ISSUER = CAFE_PROGRAMME_NAME  # the name the authenticator app shows
# Each signed-in session is listed (allauth.usersessions), so freezing the
# wallet can sign out every other device. Activity is not tracked per request
# (a write on every page); cafe_loyalty.middleware lists sessions allauth's
# login did not see once.
USERSESSIONS_TRACK_ACTIVITY = False
HEADLESS_CLIENTS = ("app", "browser")
HEADLESS_ONLY = False

# --- Internationalisation --------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hant", "繁體中文"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Tiers, rewards and the menu are data in every language (each app's
# translation.py): English is the one a manager must fill; a name left empty in
# Chinese shows the English one.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
# `Product(name=…)` made while Chinese is active fills the English name too,
# so no row is left without the name every language falls back to.
MODELTRANSLATION_AUTO_POPULATE = "default"
FORMAT_MODULE_PATH = ["cafe_loyalty.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Taipei")
USE_I18N = True
USE_TZ = True

# --- Static & media --------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Email -----------------------------------------------------------------
EMAIL_CONFIG = environ.Env.email_url_config(_required("EMAIL_URL", dev_default="consolemail://"))
vars().update(EMAIL_CONFIG)
if EMAIL_CONFIG.get("EMAIL_BACKEND") == "django.core.mail.backends.filebased.EmailBackend":
    EMAIL_FILE_PATH = EMAIL_CONFIG.get("EMAIL_FILE_PATH") or str(BASE_DIR / "var" / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{CAFE_PROGRAMME_NAME} <no-reply@cafe.example>")

# --- Security --------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG and not TESTING
CSRF_COOKIE_SECURE = not DEBUG and not TESTING
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG and not TESTING)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG or TESTING else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG and not TESTING
SECURE_HSTS_PRELOAD = not DEBUG and not TESTING
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy, sent on every response (cafe_loyalty.middleware).
# No inline script, event handler or style on any page: behaviour lives in
# static/js (loaded with defer), looks in static/css; htmx is told not to inject
# its indicator <style> (base.html) and never evaluates strings. Images: our
# own, and data: URIs (the authenticator set-up QR code; pay codes are inline SVG).
CAFE_CONTENT_SECURITY_POLICY: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
# Staff sign in on shared tills: their session ends after this long without a request, and this
# long after it began, whatever they do. Members keep the normal session (SESSION_COOKIE_AGE).
CAFE_STAFF_IDLE_SECONDS = env.int("CAFE_STAFF_IDLE_SECONDS", default=15 * 60)
CAFE_STAFF_SESSION_MAX_SECONDS = env.int("CAFE_STAFF_SESSION_MAX_SECONDS", default=12 * 60 * 60)

# --- REST framework --------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON in, JSON out: the schema lists JSON bodies only, and a form or
    # multipart body is refused with 415 (payments.api.common.JsonAPIView).
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "cafe_loyalty.core.problems.problem_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_THROTTLE_RATES": {
        "terminal": env.str("CAFE_TERMINAL_THROTTLE", default="6000/min"),
        "member": env.str("CAFE_MEMBER_THROTTLE", default="120/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cafe loyalty & wallet API",
    "DESCRIPTION": "QR-code wallet payments, top-ups, refunds and the member API.",
    "VERSION": "1.0.0",
    # Row ids in paths (cafe_loyalty.core.urlconverters): integers a 64-bit key holds.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**63 - 1}},
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our static files (drf-spectacular-sidecar), not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Names for the enums (a generated client's types), by their values.
    "ENUM_NAME_OVERRIDES": {
        "PaymentStatus": "payments.models.Payment.Status",
        "PaymentPendingStatus": ["requires_confirmation"],
        "TopUpTender": ["cash", "card"],
        "LimitRule": ["daily_limit", "velocity"],
        "HistoryKind": "payments.api.schema.HISTORY_KINDS",
        "HistoryType": "payments.api.schema.HISTORY_TYPES",
        "OrderStatus": "payments.models.Order.Status",
        "PrepStatus": "payments.models.Order.PrepStatus",
        "PrepStep": ["preparing", "ready", "collected"],
        "AheadStateName": ["open", "closed", "paused", "off"],
    },
}

# --- Background tasks ------------------------------------------------------
TASKS = {
    "default": {
        # Under tests tasks run at once, in-process, so their effects are asserted.
        "BACKEND": env.str(
            "TASKS_BACKEND",
            default="django_tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend",
        ),
        "QUEUES": ["default"],
    }
}

# --- Logging ---------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "cafe_loyalty.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}

# --- The programme ---------------------------------------------------------
CAFE_CURRENCY = env.str("CAFE_CURRENCY", default="TWD")
# The smallest amount of cash a person hands over, in minor units (TWD: whole
# dollars, 100). Refunds of items are rounded down to it; empty means one unit
# of the currency's major unit.
CAFE_CASH_ROUNDING = env.int("CAFE_CASH_ROUNDING", default=0) or None
CAFE_SITE_URL = env.str("CAFE_SITE_URL", default="http://127.0.0.1:8000")
# Keyed hash secret for payment codes and terminal keys; its own secret in
# production so rotating SECRET_KEY (sessions, signed links) does not
# invalidate every terminal key and live code.
CAFE_HASH_KEY = _required("CAFE_HASH_KEY", dev_default=SECRET_KEY)
if PRODUCTION and env.str("CAFE_HASH_KEY", default="") == env.str("SECRET_KEY", default="") != "":
    _refusals.append("CAFE_HASH_KEY must differ from SECRET_KEY (rotating SECRET_KEY must not void terminal keys)")
CAFE_OFFLINE_KEY = env.str("CAFE_OFFLINE_KEY", default="", multiline=True)  # PEM; see payments.services.offline.keys
CAFE_OFFLINE_KEY_FILE = env.str("CAFE_OFFLINE_KEY_FILE", default="")
CAFE_PAYMENT_CODE_TTL_SECONDS = env.int("CAFE_PAYMENT_CODE_TTL_SECONDS", default=60)
CAFE_STAFF_REQUIRE_MFA = env.bool("CAFE_STAFF_REQUIRE_MFA", default=True)
# Online top-ups need a card gateway. The built-in test gateway approves every
# charge, so it is on only for development and tests unless explicitly enabled.
CAFE_TEST_GATEWAY = env.bool("CAFE_TEST_GATEWAY", default=DEBUG or TESTING)
# Four eyes on value a manager creates by hand in the admin (cafe_loyalty.value_changes):
# above these a second manager approves. A coupon's value in minor units (NT$500), a
# points adjustment in points; each counts the person's own changes of that kind that
# day, so splitting one into several does not get under it. Set in the environment,
# not in the admin, so that a manager cannot raise them alone.
CAFE_FOUR_EYES_COUPON_VALUE = env.int("CAFE_FOUR_EYES_COUPON_VALUE", default=50_000)
CAFE_FOUR_EYES_POINTS = env.int("CAFE_FOUR_EYES_POINTS", default=1_000)

# --- Client addresses ---------------------------------------------------------
# How many proxies of ours stand in front of the app, each appending the address
# it saw to X-Forwarded-For. The client is the entry the outermost of them wrote;
# entries before it are whatever the client sent. 0: no proxy, the peer address.
# One setting for every reader of the client address: cafe_loyalty.core.clients
# (request log, allauth's rate limits through members.adapters, DRF throttles).
_proxies = _required("CAFE_TRUSTED_PROXIES", dev_default="0")
_proxies_ok = _proxies.isascii() and _proxies.isdigit()
if not _proxies_ok:
    _refusals.append(f"CAFE_TRUSTED_PROXIES must be a whole number of proxies (0 or more), not {_proxies!r}")
CAFE_TRUSTED_PROXIES = int(_proxies) if _proxies_ok else 0
ALLAUTH_TRUSTED_PROXY_COUNT = CAFE_TRUSTED_PROXIES
REST_FRAMEWORK["NUM_PROXIES"] = CAFE_TRUSTED_PROXIES

if _refusals:
    raise ImproperlyConfigured(
        "Refusing to start with DEBUG off until these are set (see README, Production):\n  - "
        + "\n  - ".join(_refusals)
    )
