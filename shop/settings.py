"""Settings for the shop, read from the environment.

With nothing set, the shop runs on an embedded default: SQLite, local-memory cache, Celery tasks
run eagerly, e-mail written to files in ``var/outbox``, DEBUG on. With ``DATABASE_URL``,
``REDIS_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS`` and ``DEBUG=0`` the same code is production.
Every variable is listed in README.md with its default.
"""

import re
import unicodedata
from email.headerregistry import Address
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.message import sanitize_address

from shop.release import git_head

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEV_SECRET_KEY = "dev-insecure-key-never-use-in-production-8f2b7c1e"  # noqa: S105

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off."
    )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The demo's values of the settings a real shop must set: the admin's home page and
# `check --deploy` name each one still in force (shop/staff.py, shop/checks.py).
SHOP_DEMO_VALUES = {
    "SHOP_NAME": "Meadow & Pine",
    "SHOP_ADMIN_EMAIL": "admin@meadowpine.example",
    "SHOP_BANK_IBAN": "DE89 3704 0044 0532 0130 00",
    "SHOP_BANK_BIC": "COBADEFFXXX",
    "SHOP_BANK_NAME": "Commerzbank",
    "SHOP_LEGAL_NAME": "Meadow & Pine GmbH",
    "SHOP_LEGAL_ADDRESS": ["Lindenstraße 1", "10115 Berlin", "Germany"],
    "SHOP_LEGAL_REPRESENTATIVE": "Managing director: Ada Pine",
    "SHOP_LEGAL_REGISTER": "Amtsgericht Berlin-Charlottenburg, HRB 000000 (demo)",
    "SHOP_VAT_ID": "DE000000000 (demo)",
}
SHOP_NAME = env.str("SHOP_NAME", default=SHOP_DEMO_VALUES["SHOP_NAME"])
# The shop's logo in every page's header and as the browser tab's icon: a path on this site, e.g.
# /media/brand/logo.png (a file copied into MEDIA_ROOT), square, at least 64 px. Empty: the
# demo's pine tree.
SHOP_LOGO = env.str("SHOP_LOGO", default="").strip()
if SHOP_LOGO and not re.fullmatch(r"/(?!/)[^\s\"'<>\\]+", SHOP_LOGO):
    raise ImproperlyConfigured(
        f"SHOP_LOGO must be a path on this site such as /media/brand/logo.png, not {SHOP_LOGO!r}"
    )
# The picture a link to the shop shows when shared in a chat or a social network (Open Graph,
# Twitter card) on pages without one of their own (a product page shows its first picture): a
# path on this site (/media/brand/share.jpg) or an https:// address, ideally 1200 x 630 px,
# JPEG or PNG (not SVG: link previews do not show it). Empty: a plain pine tree on the shop's
# green (static/img/share.png).
SHOP_SHARE_IMAGE = env.str("SHOP_SHARE_IMAGE", default="").strip()
if SHOP_SHARE_IMAGE and not re.fullmatch(r"(/(?!/)|https://)[^\s\"'<>\\]+", SHOP_SHARE_IMAGE):
    raise ImproperlyConfigured(
        "SHOP_SHARE_IMAGE must be a path on this site such as /media/brand/share.jpg or an "
        f"https:// address, not {SHOP_SHARE_IMAGE!r}"
    )
# The home page's headline (and its meta description after the shop name).
# The release of the code (default: the git commit of this checkout, which deploy/ copies with
# the code). Part of the keys of cached pages and of what they are made of (core.pagecache):
# pages and objects cached by one release are never served or unpickled by another, so an
# update, a rollback, or two releases side by side (hosts updated one at a time) share no
# entry whose shape one of them does not know. Set it where the code has no .git.
SHOP_RELEASE = env.str("SHOP_RELEASE", default="") or git_head(BASE_DIR)
SHOP_TAGLINE = env.str("SHOP_TAGLINE", default="Gear for the trail, goods for the home")
SHOP_ADMIN_EMAIL = env.str("SHOP_ADMIN_EMAIL", default=SHOP_DEMO_VALUES["SHOP_ADMIN_EMAIL"])
# The shop's public address ("https://shop.example.com"), for links in e-mails: those sent
# without a request (a background job's) have no other way to know it, and those sent from a
# request then use the canonical address, not whichever host name the visitor typed.
SHOP_URL = env.str("SHOP_URL", default="").strip().rstrip("/")
if SHOP_URL and not re.fullmatch(r"https?://[^/\s?#]+", SHOP_URL):
    raise ImproperlyConfigured(
        f"SHOP_URL must be a scheme and a host, e.g. https://shop.example.com, not {SHOP_URL!r}"
    )
# Order numbers start with this (ATT-7KQ4-X2HD): the shop name's initials if unset or empty,
# a word's first letter or digit each, accents dropped ("Ökoladen Süd" OS; "Anna's Shop" AS).
_name_ascii = unicodedata.normalize("NFKD", SHOP_NAME).encode("ascii", "ignore").decode()
SHOP_ORDER_PREFIX = (
    env.str("SHOP_ORDER_PREFIX", default="").strip()
    or "".join(re.findall(r"(?:^|\s)\W*([A-Za-z0-9])", _name_ascii))[:4]
    or "NO"
).upper()
if not re.fullmatch(r"[A-Z0-9]{1,6}", SHOP_ORDER_PREFIX):
    raise ImproperlyConfigured(
        f"SHOP_ORDER_PREFIX must be 1 to 6 letters or digits (A-Z, 0-9), not {SHOP_ORDER_PREFIX!r}"
    )
# What the footer and the commitments page say about tax in the prices (empty: nothing), e.g.
# "No VAT is charged (small business, § 19 UStG)." or "Sales tax is added at checkout."
SHOP_PRICES_NOTE = env.str("SHOP_PRICES_NOTE", default="Prices include VAT.").strip()
SHOP_CURRENCY = env.str("SHOP_CURRENCY", default="EUR")
SHOP_CURRENCY_SYMBOL = env.str("SHOP_CURRENCY_SYMBOL", default="€")
# How an amount is written: where the symbol goes ("{symbol}{amount}": €1,234.50; "{amount}
# {symbol}": 1.234,50 €; "{symbol} {amount}": CHF 1'234.50), and the thousands and decimal
# separators, in that order (",." / ".," / "'." / " ,"; a thousands separator "_" means none).
SHOP_MONEY_FORMAT = env.str("SHOP_MONEY_FORMAT", default="{symbol}{amount}")
SHOP_MONEY_SEPARATORS = env.str("SHOP_MONEY_SEPARATORS", default=",.")
if (
    SHOP_MONEY_FORMAT.count("{amount}") != 1
    or re.sub(r"\{(?:amount|symbol)\}", "", SHOP_MONEY_FORMAT).count("{")
    or "}" in re.sub(r"\{(?:amount|symbol)\}", "", SHOP_MONEY_FORMAT)
):
    raise ImproperlyConfigured(
        "SHOP_MONEY_FORMAT must hold {amount} once, and may hold {symbol}, e.g. "
        f"'{{amount}} {{symbol}}', not {SHOP_MONEY_FORMAT!r}"
    )
if (
    len(SHOP_MONEY_SEPARATORS) != 2
    or SHOP_MONEY_SEPARATORS[1] not in ".,"
    or SHOP_MONEY_SEPARATORS[0] == SHOP_MONEY_SEPARATORS[1]
    or SHOP_MONEY_SEPARATORS[0] not in ",.' _"
):
    raise ImproperlyConfigured(
        "SHOP_MONEY_SEPARATORS must be the thousands separator (, . ' space or _ for none) "
        f"and the decimal one (. or ,), e.g. ',.' or '.,', not {SHOP_MONEY_SEPARATORS!r}"
    )
# A variant with this many units or fewer shows "only N left".
SHOP_LOW_STOCK_THRESHOLD = env.int("SHOP_LOW_STOCK_THRESHOLD", default=5)
# Bank transfer details shown on the confirmation page and e-mail.
SHOP_BANK_ACCOUNT_HOLDER = env.str("SHOP_BANK_ACCOUNT_HOLDER", default=SHOP_NAME)
SHOP_BANK_IBAN = env.str("SHOP_BANK_IBAN", default=SHOP_DEMO_VALUES["SHOP_BANK_IBAN"])
SHOP_BANK_BIC = env.str("SHOP_BANK_BIC", default=SHOP_DEMO_VALUES["SHOP_BANK_BIC"])
SHOP_BANK_NAME = env.str("SHOP_BANK_NAME", default=SHOP_DEMO_VALUES["SHOP_BANK_NAME"])
# Who runs the shop, for the legal notice and privacy pages (an online shop in Germany must
# publish them). Demo values until set; address lines comma-separated; empty ones are left out.
# (the legal name is a demo value too: made from SHOP_NAME it named a legal form the shop may
# not have, and check --deploy could not tell it was never set)
SHOP_LEGAL_NAME = env.str("SHOP_LEGAL_NAME", default=SHOP_DEMO_VALUES["SHOP_LEGAL_NAME"])
SHOP_LEGAL_ADDRESS = env.list(
    "SHOP_LEGAL_ADDRESS", default=list(SHOP_DEMO_VALUES["SHOP_LEGAL_ADDRESS"])
)
SHOP_LEGAL_REPRESENTATIVE = env.str(
    "SHOP_LEGAL_REPRESENTATIVE", default=SHOP_DEMO_VALUES["SHOP_LEGAL_REPRESENTATIVE"]
)
SHOP_LEGAL_REGISTER = env.str(
    "SHOP_LEGAL_REGISTER", default=SHOP_DEMO_VALUES["SHOP_LEGAL_REGISTER"]
)
SHOP_VAT_ID = env.str("SHOP_VAT_ID", default=SHOP_DEMO_VALUES["SHOP_VAT_ID"])
SHOP_PHONE = env.str("SHOP_PHONE", default="")
# The carriers staff choose from when an order ships, "Name" or "Name|https://link{}" (the
# tracking number goes where {} is), comma-separated. Empty: DHL, DPD, GLS, UPS, Hermes and
# Deutsche Post with their links (orders/carriers.py).
SHOP_CARRIERS = {}
for _entry in env.list("SHOP_CARRIERS", default=[]):
    _name, _, _link = (part.strip() for part in _entry.partition("|"))
    if not _name and not _link:
        continue
    if not _name or len(_name) > 60 or (_link and not re.fullmatch(r"https://\S+", _link)):
        raise ImproperlyConfigured(
            f"SHOP_CARRIERS: {_entry!r} is not a name (up to 60 characters) or a name, | and "
            "an https:// link with {} for the tracking number."
        )
    if _link and (_link.count("{}") != 1 or re.search(r"[{}]", _link.replace("{}", ""))):
        raise ImproperlyConfigured(
            f"SHOP_CARRIERS: the link of {_name!r} must have one {{}} for the tracking number."
        )
    SHOP_CARRIERS[_name] = _link
# Unpaid bank-transfer orders are cancelled (stock released) after this many days.
SHOP_UNPAID_ORDER_DAYS = env.int("SHOP_UNPAID_ORDER_DAYS", default=7)
# Days after delivery within which a shopper may return or exchange an item (service pages, home
# page). 14 by default: distance selling into the EU requires at least that, and the default
# delivery country is Germany. A shop outside the EU may promise less (the planning documents
# say 7).
SHOP_RETURN_DAYS = env.int("SHOP_RETURN_DAYS", default=14)
# Nightly clean-up (core/housekeeping.py): copies of sent e-mails are deleted this many days
# after sending (the order keeps its own record; unsent ones stay until staff deal with them),
# search counts of days longer ago than this (the top-searches report looks back that far).
SHOP_SENT_MAIL_DAYS = env.int("SHOP_SENT_MAIL_DAYS", default=180)
SHOP_SEARCH_COUNT_DAYS = env.int("SHOP_SEARCH_COUNT_DAYS", default=730)
# Entries of the admin's history ("Recent actions", each object's "History": who changed what,
# naming customers by their e-mail address) are deleted this many days after the change;
# 0 keeps them for ever.
SHOP_ADMIN_LOG_DAYS = env.int("SHOP_ADMIN_LOG_DAYS", default=730)
# Messages to customer service are deleted this many days after they arrive: two years, the
# warranty period a question about a delivery may still matter for.
SHOP_CONTACT_MESSAGE_DAYS = env.int("SHOP_CONTACT_MESSAGE_DAYS", default=730)
# A guestbook author's e-mail address is forgotten once staff reply (the author is told), or
# this many days after the entry if nobody has replied by then.
SHOP_GUESTBOOK_EMAIL_DAYS = env.int("SHOP_GUESTBOOK_EMAIL_DAYS", default=180)
# Guestbook entries never published (still waiting for review, or hidden: mostly spam) are
# deleted this many days after they arrive; 0 keeps them.
SHOP_GUESTBOOK_UNPUBLISHED_DAYS = env.int("SHOP_GUESTBOOK_UNPUBLISHED_DAYS", default=180)
# Orders (with their name, address, e-mail and phone) are deleted this many years after the end
# of the year they were placed in (or later paid, shipped, delivered or refunded in): German tax
# law's period for invoices and bookings (AO § 147).
SHOP_ORDER_KEEP_YEARS = env.int("SHOP_ORDER_KEEP_YEARS", default=10)
# A sign-up whose e-mail address is not confirmed within this many days is deleted.
# (counted from the latest confirmation link mailed, which the outbox keeps SHOP_SENT_MAIL_DAYS:
# keep that the longer of the two)
SHOP_UNCONFIRMED_ACCOUNT_DAYS = env.int("SHOP_UNCONFIRMED_ACCOUNT_DAYS", default=30)
# Order inquiry attempts per client address per 10 minutes.
SHOP_INQUIRY_RATE = env.int("SHOP_INQUIRY_RATE", default=10)
# Orders placed per client address per hour (each takes stock and mails the address typed in).
SHOP_ORDER_RATE = env.int("SHOP_ORDER_RATE", default=10)
# PostgreSQL text-search configuration (language) for product search.
SEARCH_CONFIG = env.str("SEARCH_LANGUAGE", default="english")
# Guestbook: hold new messages for review (1) or publish at once (0); posts per client per 10 min.
GUESTBOOK_PREMODERATE = env.bool("GUESTBOOK_PREMODERATE", default=True)
GUESTBOOK_RATE = env.int("GUESTBOOK_RATE", default=5)
# Messages per client address and hour through the customer service form.
CONTACT_RATE = env.int("CONTACT_RATE", default=5)
# Staff receive new-order notices here.
SHOP_STAFF_EMAILS = env.list("SHOP_STAFF_EMAILS", default=[SHOP_ADMIN_EMAIL])
# The countries the shop delivers to, as shoppers choose them (the first is preselected).
SHOP_DELIVERY_COUNTRIES = [
    c.strip() for c in env.list("SHOP_DELIVERY_COUNTRIES", default=["Germany"]) if c.strip()
]
if not SHOP_DELIVERY_COUNTRIES:
    raise ImproperlyConfigured("SHOP_DELIVERY_COUNTRIES must name at least one country.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_filters",
    "csp",
    "allauth",
    "allauth.account",
    # Our apps, bottom of the dependency list first (see ARCHITECTURE.md).
    "core",
    "accounts",
    "catalog",
    "cart",
    "orders",
    "search",
    "guestbook",
    "service",
    "shop",
]

MIDDLEWARE = [
    # outermost: every line logged while a request is served names it (core/requestlog.py),
    # and the page cache never stores one request's id with a page
    "core.requestlog.request_id",
    # first: a cached anonymous page costs one cache round trip, and the headers it is stored
    # with are the final ones (security headers included), which core/pagecache_wsgi.py
    # replays for the hits it answers before Django
    "core.pagecache.AnonymousPageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.private_pages",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.end_sessions_of_closed_accounts",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

# Each worker also keeps this many of the hottest anonymous pages in memory (~35 KB each, their
# gzipped copy included); only the content version is then read from Redis (LocalPages).
PAGE_CACHE_LOCAL_ENTRIES = env.int("PAGE_CACHE_LOCAL_ENTRIES", default=64)
# ... and re-reads the content version for them at most every this many seconds: a change made
# through another worker shows there within that time (through the same worker: at once).
PAGE_CACHE_VERSION_RECHECK = env.float("PAGE_CACHE_VERSION_RECHECK", default=0.1)
# Anonymous shoppers with a cart get cached pages too, with their own cart count in the header.
PAGE_CACHE_SESSION_FILL = "cart.selectors.page_cache_fill"

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"

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
                "shop.context_processors.shop",
            ],
            # {% url %} with remembered answers, in every template (core/reverse.py)
            "builtins": ["core.templatetags.cached_url"],
        },
    },
]

# Database -------------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A restarted PostgreSQL is noticed on the next request instead of failing it.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The shop runs short queries; JIT compiling them costs far more than it saves (seconds
    # on a 100,000-product search). random_page_cost: the default (4) prices a random read as
    # on a spinning disk; on SSD or RAM it made PostgreSQL scan all 100,000 search documents
    # instead of their GIN index for a word that matches 10% of them (110 ms instead of 30).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off -c random_page_cost=1.1"
    # Prepared statements (opt-in): psycopg prepares a statement the fifth time a connection
    # runs it and PostgreSQL skips planning, which costs more than running the shop's short
    # queries (cart lines: 0.57 ms planned every time, 0.08 ms prepared; bench/HISTORY.md). Off by
    # default: they need server-side binding, where every value of an IN (...) list is one of
    # at most 65,535 parameters (an admin action on all 100,000 products failed) and Django
    # knows queries that behave differently (ticket #34255); and PgBouncer in transaction mode
    # cannot keep them.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=False):
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)
# The embedded default. IMMEDIATE: a transaction takes the write lock when it begins and waits
# up to `timeout` seconds for it. SQLite's default (DEFERRED) lets two transactions read, then
# refuses one of them at once ("database is locked", no waiting) when both want to write: a
# double-clicked "Buy now" got a 500. WAL lets pages be read meanwhile.
SQLITE_OPTIONS = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache, Celery --------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            # Parallel test workers share one Redis; each gets its own key space.
            "KEY_PREFIX": "shop" + env.str("PYTEST_XDIST_WORKER", default=""),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# socket_timeout: a publish to a Redis that stalls (takes the connection, never answers) waited
# for it without end, past gunicorn's timeout, after the order was committed; now it fails
# after 2 s and the outbox sweep sends the mail (above the worker's 1 s BRPOP poll).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
}
# No publish retries (Celery's default is 3, each waiting the socket timeout again: 10 s, not
# 2 s, per request while Redis stalls): whoever publishes has a fallback (the outbox sweep,
# indexing in the request), and a connection dropped by a Redis restart is replaced anyway.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "core.tasks.send_pending_mail_task", "schedule": 60.0},
    "expire-unpaid-orders": {"task": "orders.tasks.expire_unpaid_orders_task", "schedule": 600.0},
    "flush-search-counts": {"task": "search.tasks.flush_search_counts_task", "schedule": 60.0},
}
# Nightly clean-up (core/housekeeping.py), five minutes apart in the shop's quiet hours
# (CELERY_TIMEZONE), before the 03:15 backup
for _n, _task in enumerate(
    [
        "accounts.tasks.delete_unconfirmed_accounts_task",
        "core.tasks.delete_expired_sessions_task",
        "cart.tasks.delete_stale_carts_task",
        "core.tasks.delete_old_sent_mail_task",
        "search.tasks.delete_old_search_counts_task",
        "service.tasks.delete_old_contact_messages_task",
        "guestbook.tasks.clean_up_guestbook_task",
        "orders.tasks.delete_expired_orders_task",
        "core.tasks.delete_old_admin_log_task",
        "catalog.tasks.delete_orphan_pictures_task",
    ]
):
    CELERY_BEAT_SCHEDULE[_task] = {
        "task": _task,
        "schedule": crontab(hour=2 + (25 + 5 * _n) // 60, minute=(25 + 5 * _n) % 60),
    }

# Sessions are written to the database and read through the cache: a Redis outage never signs
# anybody out or empties a cart (the resilient cache turns errors into misses).
SESSION_ENGINE = "core.sessions"  # cached_db, an update in one statement
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30

# Auth -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# Mandatory verification is what lets sign-up answer the same for known and unknown e-mails.
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
# ... and takes as long for a known address as for a new one (accounts.forms.SignupForm)
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
# allauth's e-mails whose link or code lets its holder into the account: the admin's outbox
# never shows their text (core/admin.py), or staff who may read it could take over any account.
OUTBOX_SECRET_KINDS = [
    "password_reset_key",
    "password_reset_code",
    "email_confirmation",
    "email_confirmation_signup",
    "login_code",
    "reauthentication_code",
]
# Before closing an account: the password only (not "send me a code", which signing in lacks too)
ACCOUNT_REAUTHENTICATION_METHODS = ["password"]
# ... and before adding, removing or switching e-mail addresses: a session left signed in could
# otherwise add its holder's address and take the account over with a password reset there.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    # The key is the address typed in: each request mails it (a reset link, or "no account
    # with this address"), so allauth's 5 a minute alone let anyone send 300 an hour to a stranger.
    "reset_password": "20/m/ip,5/m/key,10/h/key",
    # Both take the current password: allauth's 5 or 10 a minute would let someone holding a
    # signed-in session guess thousands a day.
    "change_password": "5/5m/user,20/d/user",
    "reauthenticate": "5/5m/user,20/d/user",
}
# nginx in front adds exactly one X-Forwarded-For hop; a client-sent header is never trusted.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# I18N -----------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# The shop's own wording for django-allauth's pages (locale/en/LC_MESSAGES/django.po)
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Berlin")
CELERY_TIMEZONE = TIME_ZONE  # the nightly jobs' hours are the shop's
USE_I18N = True
USE_TZ = True

# Static and media -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
# a path of the shop's own (not "//host/": protocol-relative, which img-src would not allow)
if not re.fullmatch(
    rf"(http{'s?' if DEBUG else 's'}://[^/\s?#]+)?/([^/\s?#][^\s?#]*/)?", MEDIA_URL
):
    raise ImproperlyConfigured(
        f"MEDIA_URL must be a path or an https address ending in /, not {MEDIA_URL!r}"
    )
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Uploads in an S3-compatible bucket instead of MEDIA_ROOT (more than one app server:
# deploy/README.md "Beyond one server"); needs the "s3" extra (pip install -e ".[s3]").
MEDIA_S3_BUCKET = env.str("MEDIA_S3_BUCKET", default="")
# FileSystemStorage's addresses, made without urljoin (core/files.py: a product page writes ~20)
_media_storage = {"BACKEND": "core.files.MediaFileSystemStorage"}
if MEDIA_S3_BUCKET:
    _media_storage = {
        "BACKEND": "core.storage.MediaS3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            # empty: Amazon S3 itself; else the provider's address (MinIO, Hetzner, Wasabi, ...)
            "endpoint_url": env.str("MEDIA_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("MEDIA_S3_REGION", default="") or None,
            # empty: boto3's own chain (instance role, ~/.aws/credentials)
            "access_key": env.str("MEDIA_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("MEDIA_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("MEDIA_S3_PREFIX", default="media").strip("/"),
            "file_overwrite": False,  # a second "mug.jpg" gets its own name, as on disk
            "default_acl": None,  # the bucket's policy decides who may read
            "querystring_auth": False,  # links are MEDIA_URL + name (core/storage.py)
            "object_parameters": {"CacheControl": "public, max-age=604800"},  # nginx: 7 days
        },
    }
STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        # whitenoise's manifest storage, each address remembered per process (core/files.py)
        else "core.files.RememberingStaticFilesStorage"
    },
}
# Without nginx (WhiteNoise serves /static/): hashed names are kept for good by WhiteNoise
# itself (immutable, ten years); any other name an hour, as nginx does (deploy/nginx/shop.conf):
# a plain "css/shop.css" changes with a release.
WHITENOISE_MAX_AGE = 60 * 60 if not DEBUG else 0
# Uploaded images: bytes and pixels above these are refused with a clear message.
SHOP_IMAGE_MAX_BYTES = env.int("SHOP_IMAGE_MAX_BYTES", default=8 * 1024 * 1024)
SHOP_IMAGE_MAX_PIXELS = env.int("SHOP_IMAGE_MAX_PIXELS", default=40_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# E-mail ---------------------------------------------------------------------------------------
# Unset EMAIL_URL: every message is written as a file to var/outbox/ (see README).
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url_config(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=VAR_DIR / "outbox")
# The shop's name quoted where it must be: a comma in it ("Smith, Jones & Co.") made two
# addresses of one, which the SMTP backend refuses (no e-mail would leave the shop). Also the
# bounce (envelope sender) address: Django's SMTP backend sends from this address.
_admin_user, _, _admin_domain = SHOP_ADMIN_EMAIL.rpartition("@")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="") or str(
    Address(display_name=SHOP_NAME, username=_admin_user, domain=_admin_domain)
)
try:
    sanitize_address(DEFAULT_FROM_EMAIL, "utf-8")
except (ValueError, TypeError, IndexError) as error:  # what the SMTP backend would raise
    raise ImproperlyConfigured(
        "DEFAULT_FROM_EMAIL must be one address such as Shop <shop@example.com>, with a name "
        f'that holds a comma in double quotes ("Smith, Jones & Co." <...>), not '
        f"{DEFAULT_FROM_EMAIL!r}"
    ) from error
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# error mails (core/alerts.py) say which shop they are from
EMAIL_SUBJECT_PREFIX = f"[{SHOP_NAME}] "
EMAIL_TIMEOUT = 10

# Security -------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# The shop's own page for a refused form: blocked cookies, or a form open in one tab while the
# visitor signed in or out in another, each named in plain words, and what was typed kept.
CSRF_FAILURE_VIEW = "shop.views.csrf_failure"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # pictures from a CDN when MEDIA_URL names one
        "img-src": [SELF, "data:", *re.findall(r"^https?://[^/]+", MEDIA_URL)],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # a load balancer's health check may come over plain http on the private network
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Logging --------------------------------------------------------------------------------------
# Errors are mailed to these addresses (comma-separated; empty: to nobody), straight through
# EMAIL_URL's server, not the outbox, and the same error at most once per
# SHOP_ERROR_MAIL_MINUTES (core/alerts.py). Default with DEBUG off: SHOP_ADMIN_EMAIL.
ADMINS = [
    ("", address)
    for address in env.list("SHOP_ERROR_EMAILS", default=[] if DEBUG else [SHOP_ADMIN_EMAIL])
]
SHOP_ERROR_MAIL_MINUTES = env.int("SHOP_ERROR_MAIL_MINUTES", default=10)
# What an error mail may show of the request and the settings (core/errorreports.py)
DEFAULT_EXCEPTION_REPORTER_FILTER = "core.errorreports.ShopExceptionReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "core.errorreports.ShopExceptionReporter"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "core.requestlog.RequestContextFilter"}},
    "formatters": {
        # the journal adds the time and the unit; [request id, method, path, member id]
        "shop": {"format": "%(levelname)s %(name)s%(request_context)s: %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            "formatter": "shop",
        },
        "mail_admins": {
            "class": "core.alerts.ThrottledAdminEmailHandler",
            "level": "ERROR",
            "filters": ["request_context"],
            "formatter": "shop",  # the mail's first line names the request
        },
    },
    "root": {"handlers": ["console", "mail_admins"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own handlers for its logger (a second mail for each server error) go: its
        # lines reach the root's handlers above
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
        # What a client sends wrong (a foreign Host, 10,000 fields, a body over the limit, a
        # redirect too long): Django answers 400 and logs an ERROR here. The journal keeps
        # each; mailed, anyone could send the owner "errors" and use up the mails an interval
        # allows for the shop's own (core/alerts.py).
        "django.security": {"handlers": ["console"], "propagate": False},
    },
}
