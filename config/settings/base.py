"""Settings shared by every environment. Values come from the environment."""

import re
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config.saml import saml_apps

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"  # the local database cluster, media, local state; not in git
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    # Before the admin: the translations of what admins write (reviews/translation.py).
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "simple_history",
    "axes",
    "csp",
    # Sign-in with the company's identity provider and TOTP two-factor (accounts/sso.py,
    # accounts/mfa.py; docs/security.md): the login page is allauth's, in the product's look.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "allauth.mfa",
    # The shared kernel on the ground floor, then people, facts, KPIs, OKRs and reviews.
    "core",
    "accounts",
    "activity",
    "datain",
    "kpis",
    "okrs",
    "reviews",
    # On top of the domain apps (tests/test_architecture.py): to-dos and notifications, then the web
    # shell and the demo organisation.
    "notifications",
    # Provisioning by the identity provider (SCIM 2.0): above people, below the web shell.
    "scim",
    "web",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response (settings below).
    "csp.middleware.CSPMiddleware",
    # ... whose form-action also lets the sign-in button go to the identity provider.
    "accounts.middleware.ProviderFormAction",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The browser's language (Accept-Language), before anything answers: the person's own choice
    # replaces it once they are known (notifications.language, below).
    "django.middleware.locale.LocaleMiddleware",
    # A NUL character (%00) in the address answers 400 before any view reads it.
    "config.middleware.RefuseNulInAddress",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.PersonTimeZoneMiddleware",
    # The language the signed-in person chose on "Your preferences" wins over their browser's.
    "notifications.language.PersonLanguageMiddleware",
    # allauth's login state; then a person who must set up two-factor does so before anything else.
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.RequireTwoFactorEnrolment",
    # Contributors (colleagues who give review input) reach only their input requests.
    "accounts.middleware.ContributorScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Login throttling: must stay last.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy (django-csp): scripts, styles, images and fonts from this site only; no
# inline script, no inline style, no event-handler attribute, no plugin, nobody frames the pages. The
# charts are SVG drawn on the server and shown as images (data: URLs, kpis/charts.py). Only the API
# docs page relaxes it (config/urls.py: Swagger UI sets styles from its script).
SELF = "'self'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": [SELF],
        "frame-ancestors": ["'none'"],
    },
}
# Permissions-Policy (django-permissions-policy): no page uses a device or a powerful feature.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context_processors.navigation",
                "core.text.limits_context",
            ],
        },
    },
]

# PostgreSQL, always. Locally: the cluster that `make run` keeps under var/postgres on
# 127.0.0.1:PG_PORT (scripts/run.sh); anywhere else: DATABASE_URL.
PG_PORT = env.int("PG_PORT", default=54320)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"postgres://postgres@127.0.0.1:{PG_PORT}/csm"),
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "DATABASE_URL must point to PostgreSQL (postgres://...): it is the only database."
    )
# JIT compilation costs more than it saves on the KPI engine's aggregates (seen: 0.9 s of a
# 1.3 s statement on the benchmark organisation) and on short page queries.
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out login before checking the password
    "django.contrib.auth.backends.ModelBackend",  # inactive users cannot log in, their sessions end
]
# Login throttling (django-axes): 5 failures for one email from one address lock it out for an hour.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"  # the login form posts the email as "username"
AXES_USERNAME_CALLABLE = "accounts.auth.axes_username"  # one lockout per address, whatever its case
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Sign-in (django-allauth; docs/security.md, docs/configuration.md "Sign-in").
# Password logins go through allauth's login flow (so that two-factor can follow); people are never
# created by a sign-in nor sign up; django-axes stays the lockout (allauth's own login limit is off).
ACCOUNT_ADAPTER = "accounts.sso.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.sso.SocialAccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.PasswordLoginForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = True  # sessions last SESSION_COOKIE_AGE, as before
ACCOUNT_RATE_LIMITS = {"login_failed": None}
ACCOUNT_EMAIL_NOTIFICATIONS = False
ACCOUNT_LOGOUT_REDIRECT_URL = "login"
ACCOUNT_AUTHENTICATED_LOGIN_REDIRECTS = False  # the login page shows to a logged-in person too
# A sign-in through the identity provider matches the provider's verified email to an existing active
# person (accounts/sso.py): never allauth's email authentication (it clears the password), never a
# sign-up, no tokens kept, no mail about a "new connected account".
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
# OpenID Connect (Okta, Entra ID, Google Workspace, ...): the issuer (discovery at
# <issuer>/.well-known/openid-configuration), the client's id and secret, and the button's label.
SSO_OIDC_SERVER_URL = env("SSO_OIDC_SERVER_URL", default="")
SSO_OIDC_CLIENT_ID = env("SSO_OIDC_CLIENT_ID", default="")
SSO_OIDC_CLIENT_SECRET = env("SSO_OIDC_CLIENT_SECRET", default="")
SSO_OIDC_NAME = env("SSO_OIDC_NAME", default="") or "your company account"
# Entra ID sends no email_verified claim: on, the provider's email counts as verified (only for a
# provider whose directory holds the company's own addresses).
SSO_OIDC_EMAIL_ALWAYS_VERIFIED = env.bool("SSO_OIDC_EMAIL_ALWAYS_VERIFIED", default=False)
SOCIALACCOUNT_PROVIDERS: dict = {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": []}}
if SSO_OIDC_SERVER_URL:
    if not (SSO_OIDC_CLIENT_ID and SSO_OIDC_CLIENT_SECRET):
        raise ImproperlyConfigured(
            "SSO_OIDC_SERVER_URL is set: SSO_OIDC_CLIENT_ID and SSO_OIDC_CLIENT_SECRET are needed too."
        )
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"].append(
        {
            "provider_id": "sso",
            "name": SSO_OIDC_NAME,
            "client_id": SSO_OIDC_CLIENT_ID,
            "secret": SSO_OIDC_CLIENT_SECRET,
            "settings": {"server_url": SSO_OIDC_SERVER_URL.rstrip("/"), "fetch_userinfo": True},
        }
    )
# SAML 2.0 (Okta/Entra ID SAML apps, Google Workspace...) from the environment (config/saml.py;
# docs/configuration.md "Single sign-on (SAML 2.0)"), or as SAML social applications in the admin.
SOCIALACCOUNT_PROVIDERS["saml"] = {"APPS": saml_apps(env.ENVIRON)}
# SSO only: nobody signs in with a password but these break-glass addresses (emails, comma-separated).
SSO_ONLY = env.bool("SSO_ONLY", default=False)
SSO_BREAK_GLASS_EMAILS = [e.strip().lower() for e in env.list("SSO_BREAK_GLASS_EMAILS", default=[])]
if SSO_ONLY and not SSO_BREAK_GLASS_EMAILS:
    raise ImproperlyConfigured(
        "SSO_ONLY is on: name at least one break-glass admin in SSO_BREAK_GLASS_EMAILS."
    )
# Two-factor (TOTP, allauth.mfa) for HR and admins who sign in with a password: asked at every password
# login of a person who has it, set up at the next password login of one who has not. Recovery codes
# stand in for a lost phone.
MFA_REQUIRED = env.bool("MFA_REQUIRED", default=True)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "CSM reviews & OKRs"
MFA_PASSKEY_LOGIN_ENABLED = False

# The organisation's time zone: periods and event dates are read in it (docs/metrics.md).
LANGUAGE_CODE = "en"
# The product's languages (Django's codes; docs/languages.md), each named in its own words, as a
# person looks for theirs in a selector: the names are not translated.
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("pt-br", "Português (Brasil)"),
    ("zh-hans", "简体中文"),
    ("tr", "Türkçe"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# What admins write (a review template's sections, scale and questions to colleagues) may carry a
# translation per language (django-modeltranslation, reviews/translation.py): shown in the reader's
# language, else as written (English, the default language). Its own list, Django's codes, so that
# the columns (sections_pt_br, ...) never change with the languages offered.
MODELTRANSLATION_LANGUAGES = ("en", "es", "pt-br", "zh-hans", "tr")
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

FISCAL_YEAR_START_MONTH = env.int("FISCAL_YEAR_START_MONTH", default=1)
# The years any date or period typed in or imported may fall in: anything else is refused with a
# clear error (also keeps dates far from year 1 and 9999, where time zones overflow).
FIRST_YEAR = env.int("FIRST_YEAR", default=2000)
LAST_YEAR = env.int("LAST_YEAR", default=2100)
# The organisation's currency (ISO 4217), money is formatted with it in the reader's language.
CURRENCY = env("CURRENCY", default="USD")
# Health bands when a snapshot gives no band (docs/metrics.md, "Health band").
HEALTH_GOOD_MIN_SCORE = env.int("HEALTH_GOOD_MIN_SCORE", default=70)
HEALTH_AVERAGE_MIN_SCORE = env.int("HEALTH_AVERAGE_MIN_SCORE", default=40)
# Smallest sample below which a metric's value is "few data" (shown greyed, never coloured as a
# change, kept out of percentiles and highlights). Defaults per metric in kpis/registry.py
# (Metric.min_sample); overrides as "nps=10,csat=8".
KPI_MIN_SAMPLE = env.dict("KPI_MIN_SAMPLE", cast={"value": int}, default={})

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = env("MEDIA_ROOT", default=str(VAR_DIR / "media"))

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that loses Redis while busy reconnects instead of stopping (config/celery.py, Consumer).
CELERY_WORKER_CONSUMER = "config.celery:Consumer"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.PeopleOnly",
    ],
    # The API takes JSON bodies only (forms and file uploads are the pages'): a form or multipart
    # body answers 415 and the schema documents every request body under application/json alone.
    "DEFAULT_PARSER_CLASSES": ["config.parsers.SafeJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "config.parsers.JsonOnlyNegotiation",
    # APIClient in the tests sends JSON unless told otherwise, like every client of the API.
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "core.pagination.Pages",
    # A 404 says "Not found." in the reader's language, never Django's "No Objective matches ...".
    "EXCEPTION_HANDLER": "config.parsers.exception_handler",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "mail.log": {"level": "WARNING"},  # aiosmtpd (the local mail catcher)
    },
}

INSTALLED_APPS += ["rest_framework.authtoken"]
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    # `Authorization: Token <key>`: an integration's token (a service account, created by an admin)
    # or a person's read-only token (accounts/tokens.py; docs/api.md).
    # First, so that an unauthenticated request answers 401 with WWW-Authenticate: Token.
    # (notifications.language's: answers in the token's person's language.)
    "notifications.language.TokenAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]
# Progress of long work (imports, exports) lives in the cache so that a page can read it while a
# task's transaction is still open.
CACHES = {
    "default": {
        # Django's Redis cache; while Redis is unreachable it reads as empty (config/cache.py).
        "BACKEND": "config.cache.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "csm",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The largest file the upload page takes (bytes); larger loads go through import_data.
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=200 * 1024 * 1024)

# A person's read-only API token (preferences page, create_api_token --scope read) expires this
# many days after it was created.
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
# Requests an API token (a person's read token or an integration's) may make: "<n>/<sec|min|hour|day>".
# One more answers 429 with Retry-After (accounts/throttling.py; counts in the Redis cache, which
# lets requests through while Redis is down).
API_TOKEN_RATE = env("API_TOKEN_RATE", default="600/min")
if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", API_TOKEN_RATE):
    raise ImproperlyConfigured(
        f"API_TOKEN_RATE={API_TOKEN_RATE!r}: write it as a number of requests a period, e.g. 600/min "
        "(periods: sec, min, hour, day)."
    )
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["accounts.throttling.TokenRateThrottle"]

# The segment of a CSM the identity provider creates without a division (SCIM, docs/scim.md): a
# CSM needs one. smb, mid_market or enterprise.
SCIM_DEFAULT_SEGMENT = env("SCIM_DEFAULT_SEGMENT", default="smb")
if SCIM_DEFAULT_SEGMENT not in ("smb", "mid_market", "enterprise"):
    raise ImproperlyConfigured(
        f"SCIM_DEFAULT_SEGMENT={SCIM_DEFAULT_SEGMENT!r}: write smb, mid_market or enterprise."
    )

INSTALLED_APPS += ["drf_spectacular", "drf_spectacular_sidecar"]
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"
SPECTACULAR_SETTINGS = {
    "TITLE": "CSM reviews & OKRs API",
    "DESCRIPTION": "Data in (ingest), KPIs, scorecards, OKRs and reviews, under `/api/v1/`. People sign "
    "in with their session (the pages' login; writes then need the CSRF token) or a token; an "
    "integration's token (role service, `manage.py create_api_token`) may only load data; a person's "
    "read-only token (their preferences page) reads what they may see and answers 403 to any write. "
    "Send a token as `Authorization: Token <key>`. Bodies are JSON only (a form answers 415).\n\n"
    "Each person sees through the API what their pages show: a CSM their own data, a manager their "
    "teams', HR and CS ops / admin everything (reviews' hidden parts stay null until submitted). An "
    "object the caller may not see answers 404, like one that does not exist. Lists are paginated "
    "(`?limit=`, default 50 and at most 500, and `?offset=`). Refusals: 400 with the fields and a "
    "sentence each (a NUL character, `%00`, in any query parameter answers 400 naming it), 401 "
    "without credentials, 403 for a role that may not, 404, and 409 for a review saved over a newer "
    "version; a token over its rate (`API_TOKEN_RATE`, 600 a minute by default) answers 429 with "
    "`Retry-After` seconds.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies document their optional fields without a default (core/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.openapi.without_request_defaults",
        "core.openapi.responses_complete",
    ],
    # Swagger UI groups the operations by these tags, in this order.
    "TAGS": [
        {"name": "ingest", "description": "Loading activity data: rows of one kind at a time."},
        {"name": "kpis", "description": "Published KPI values and a CSM's scorecard."},
        {"name": "okrs", "description": "Quarterly objectives, their key results and check-ins."},
        {"name": "reviews", "description": "Quarterly reviews and their workflow."},
        {"name": "cycles", "description": "HR's review cycles: create, open, advance."},
        {"name": "feedback", "description": "Notes on a CSM through the quarter: praise or concerns."},
        {"name": "todos", "description": "What is waiting for the person asking."},
        {"name": "input", "description": "Input asked of the caller on colleagues' reviews."},
    ],
    # Readable names for the enums that share a field name (status, kind, direction).
    "ENUM_NAME_OVERRIDES": {
        "ReviewStatusEnum": "reviews.models.ReviewStatus",
        "CycleStatusEnum": "reviews.models.CycleStatus",
        "ReviewActionEnum": "reviews.apis.ACTIONS",
        "CommitmentEnum": "okrs.models.Commitment",
        "NoteKindEnum": "reviews.models.NoteKind",
        "KeyResultKindEnum": "okrs.models.KrKind",
        "KeyResultDirectionEnum": "okrs.models.Direction",
        "MetricUnitEnum": "kpis.apis.METRIC_UNITS",
        "MetricDirectionEnum": "kpis.apis.METRIC_DIRECTIONS",
        "MetricChangeEnum": "kpis.apis.CHANGES",
        "MrrMovementEnum": "kpis.apis.BRIDGE_KINDS",
    },
    # Swagger UI served from the sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# A running KPI run silent this long loses its lock (a killed worker); see kpis/services.py.
KPI_RUN_LOCK_SECONDS = env.int("KPI_RUN_LOCK_SECONDS", default=3600)
# A task that finds the period locked tries again after this many seconds.
KPI_LOCK_RETRY_SECONDS = env.int("KPI_LOCK_RETRY_SECONDS", default=60)
# After an import, the KPIs of the periods it touched are recomputed this long after the last import
# that touched them (kpis.refresh): several imports within it give one run per period.
KPI_IMPORT_DEBOUNCE_SECONDS = env.int("KPI_IMPORT_DEBOUNCE_SECONDS", default=60)
# The parts of a run computed side by side in one process, each thread on its own connection.
KPI_PART_THREADS = env.int("KPI_PART_THREADS", default=2)
# After a publication, a worker renders the KPI pages again (kpis.pagecache) this many seconds later.
KPI_WARM_PAGES = env.bool("KPI_WARM_PAGES", default=True)
KPI_WARM_DELAY_SECONDS = env.int("KPI_WARM_DELAY_SECONDS", default=30)
# Expected results (docs/metrics.md, "Expected results and lift"): the quarters of history a fit
# uses, the smallest book whose lift is shown, the least history a fit needs, the L2 penalty of the
# fits, and the calibration on the held-out quarter below which the lift is withheld.
KPI_EXPECTED_HISTORY_QUARTERS = env.int("KPI_EXPECTED_HISTORY_QUARTERS", default=8)
KPI_EXPECTED_MIN_BOOK = env.int("KPI_EXPECTED_MIN_BOOK", default=10)
KPI_EXPECTED_MIN_HISTORY_QUARTERS = env.int("KPI_EXPECTED_MIN_HISTORY_QUARTERS", default=2)
KPI_EXPECTED_MIN_HISTORY_ACCOUNTS = env.int("KPI_EXPECTED_MIN_HISTORY_ACCOUNTS", default=200)
KPI_EXPECTED_L2 = env.float("KPI_EXPECTED_L2", default=1.0)
KPI_EXPECTED_MAX_CALIBRATION_GAP = env.float("KPI_EXPECTED_MAX_CALIBRATION_GAP", default=5.0)
KPI_EXPECTED_SLOPE_RANGE = tuple(env.list("KPI_EXPECTED_SLOPE_RANGE", cast=float, default=[0.5, 2.0]))
# Accounts at risk this quarter (kpis.forward): how many the home pages list per CSM (the CSM's
# page of them lists the whole book).
KPI_FORWARD_LIST = env.int("KPI_FORWARD_LIST", default=5)
# Review cycles: a CSM whose first account came fewer days than this before the quarter ends is
# a new hire, left out of the cycle by default (HR may include them).
REVIEW_MIN_TENURE_DAYS = env.int("REVIEW_MIN_TENURE_DAYS", default=60)
# A message taken by a worker that died is delivered again after this many seconds (acks_late).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
# Long jobs (imports, cycle exports; core/jobs.py). Handing one to the queue waits at most this
# long a try (two tries): with Redis down, the page says so within seconds instead of answering 500.
JOB_QUEUE_TIMEOUT_SECONDS = env.float("JOB_QUEUE_TIMEOUT_SECONDS", default=2.0)
# A job queued and picked up by no worker, or running without a sign of life, this long is stale: the
# sweep (every JOB_SWEEP_SECONDS, Celery beat) sends a queued one again, at most JOB_MAX_SENDS times in
# all, then marks it failed; it marks a silent running one failed. The page then offers Retry.
JOB_STALE_SECONDS = env.int("JOB_STALE_SECONDS", default=900)
JOB_MAX_SENDS = env.int("JOB_MAX_SENDS", default=3)
JOB_SWEEP_SECONDS = env.int("JOB_SWEEP_SECONDS", default=300)
# A running job writes a sign of life at most this often (each batch of rows, each PDF).
JOB_HEARTBEAT_SECONDS = env.int("JOB_HEARTBEAT_SECONDS", default=10)
# A job's message that comes back to find it claimed for its own attempt (its worker died) takes it over
# once the job has shown no sign of life for this long; until then it is looked at again (core/jobs.py).
JOB_TAKEOVER_SECONDS = env.int("JOB_TAKEOVER_SECONDS", default=60)
# The page hints that the workers may be down after a job waited this long, or was silent this long.
JOB_PICKUP_HINT_SECONDS = env.int("JOB_PICKUP_HINT_SECONDS", default=60)
JOB_SILENCE_HINT_SECONDS = env.int("JOB_SILENCE_HINT_SECONDS", default=120)
AXES_VERBOSE = False

# --- Data from the systems CS teams already use (docs/loading-data.md).
# The pull connectors run every night at this time of TIME_ZONE (config/celery.py), before the KPIs.
SOURCES_SYNC_AT = env("SOURCES_SYNC_AT", default="01:30")
# HTTP of the connectors: timeout per request, tries on 429 and 5xx, first wait (doubled each try;
# a Retry-After header wins).
SOURCES_HTTP_TIMEOUT_SECONDS = env.float("SOURCES_HTTP_TIMEOUT_SECONDS", default=30.0)
SOURCES_HTTP_TRIES = env.int("SOURCES_HTTP_TRIES", default=5)
SOURCES_HTTP_BACKOFF_SECONDS = env.float("SOURCES_HTTP_BACKOFF_SECONDS", default=2.0)
# Zendesk: https://SUBDOMAIN.zendesk.com, an agent's email and an API token.
ZENDESK_SUBDOMAIN = env("ZENDESK_SUBDOMAIN", default="")
ZENDESK_EMAIL = env("ZENDESK_EMAIL", default="")
ZENDESK_API_TOKEN = env("ZENDESK_API_TOKEN", default="")
# Which tickets count as escalated: comma-separated rules tag:NAME, group:ID, priority:urgent.
ZENDESK_ESCALATION = env("ZENDESK_ESCALATION", default="tag:escalated")
# Salesforce: the My Domain URL and a connected app's client credentials (OAuth 2.0 client
# credentials flow), or SALESFORCE_ACCESS_TOKEN with SALESFORCE_DOMAIN as the instance URL.
SALESFORCE_DOMAIN = env("SALESFORCE_DOMAIN", default="")
SALESFORCE_CLIENT_ID = env("SALESFORCE_CLIENT_ID", default="")
SALESFORCE_CLIENT_SECRET = env("SALESFORCE_CLIENT_SECRET", default="")
SALESFORCE_ACCESS_TOKEN = env("SALESFORCE_ACCESS_TOKEN", default="")
SALESFORCE_API_VERSION = env("SALESFORCE_API_VERSION", default="62.0")
# Whether the Salesforce sync also reads the account teams (AccountTeamMember): turn off for an
# organisation without Account Teams (Salesforce refuses the query there).
SALESFORCE_ACCOUNT_TEAMS = env.bool("SALESFORCE_ACCOUNT_TEAMS", default=True)
# HubSpot: a private app's access token (scopes crm.objects.companies.read, crm.objects.owners.read).
HUBSPOT_ACCESS_TOKEN = env("HUBSPOT_ACCESS_TOKEN", default="")
# The company properties of owner type that name an account team (HubSpot has one owner per
# property: a portal adds a property per role): "property:role" pairs, comma-separated.
HUBSPOT_ACCOUNT_TEAM_PROPERTIES = env(
    "HUBSPOT_ACCOUNT_TEAM_PROPERTIES",
    default="account_executive:account_executive,solutions_engineer:solutions_engineer,support_lead:support_lead",
)
# ChartMogul: an API key (read access).
CHARTMOGUL_API_KEY = env("CHARTMOGUL_API_KEY", default="")
# Delighted: the person property that holds the respondent's account id.
DELIGHTED_ACCOUNT_PROPERTY = env("DELIGHTED_ACCOUNT_PROPERTY", default="account_id")

# Email (notifications): Django's SMTP backend, configured from the environment. Locally `make run`
# starts a catcher on 127.0.0.1:1025 (config/settings/local.py); tests start their own servers.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="CSM reviews <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address of the site, for the links in emails and chat posts. Unset, it is the local web server's
# address: `make run` serves on WEB_PORT (8000 by default), so links follow the port it really uses.
WEB_PORT = env.int("WEB_PORT", default=8000)
SITE_URL = env("SITE_URL", default=f"http://127.0.0.1:{WEB_PORT}")
# An unsubscribe link in an email works this many days after the email was written; an older one
# asks the person to log in and choose on their preferences page.
UNSUBSCRIBE_LINK_DAYS = env.int("UNSUBSCRIBE_LINK_DAYS", default=90)
# A team's chat webhook must be an https address that resolves to public addresses only (never this
# server nor its private network); development and tests, whose channels listen on loopback, allow it.
CHAT_WEBHOOK_ALLOW_INTERNAL = False
# Where the local catcher keeps the messages, and its page (/notifications/caught-mail/): only in the
# local setup (config/settings/local.py); everywhere else the page answers 404.
MAIL_CATCHER_DIR = ""
MAIL_CATCHER_PAGE = False
# Reminders (notifications/reminders.py): due dates this many days before, late ones every few days,
# reviews waiting on someone and stale key results again after so many days.
REMINDER_DAYS_BEFORE = env.list("REMINDER_DAYS_BEFORE", cast=int, default=[7, 1])
REMINDER_OVERDUE_EVERY_DAYS = env.int("REMINDER_OVERDUE_EVERY_DAYS", default=3)
REMINDER_WAITING_EVERY_DAYS = env.int("REMINDER_WAITING_EVERY_DAYS", default=7)
REMINDER_STALE_EVERY_DAYS = env.int("REMINDER_STALE_EVERY_DAYS", default=7)
REMINDER_HOUR = env.int("REMINDER_HOUR", default=8)
