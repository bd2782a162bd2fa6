"""Eventgallery settings: the only settings module.

Every value comes from the environment (or a `.env` file beside manage.py) and
every default works on a laptop: SQLite, a local media folder, the local face
engine. Production switches by environment only; README.md documents each variable.
"""

import re
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from eventgallery.branding import parse_hex_color
from eventgallery.s3 import s3_storage_settings
from ops.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def env_first(*names, default=None):
    """The first of several variable names that is set: the original service's
    names (S3_BUCKET, ...) are accepted as aliases of django-storages' own."""
    for name in names:
        value = env.str(name, default="")
        if value:
            return value
    return default


DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set SECRET_KEY (or DEBUG=true for local development); `make run` writes both to .env."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Django's 403 page, except while the database is away: then the outage's 503 (ops/outages.py).
CSRF_FAILURE_VIEW = "ops.views.csrf_failure"
# The address guests reach the site by (e.g. https://photos.example.org), printed in the
# QR codes and share cards; empty: the host the organizer reached the admin by.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="").rstrip("/")
if PUBLIC_BASE_URL and not re.fullmatch(r"https?://[^/\s?#]+", PUBLIC_BASE_URL):
    raise ImproperlyConfigured(
        f"PUBLIC_BASE_URL must be a scheme and a host, like https://photos.example.org, not {PUBLIC_BASE_URL!r}"
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "galleries",
    "favourites",
    "faces",
    "ops",
    "ninja",
    "corsheaders",
    "api",
    "accounts",
    "axes",
]

MIDDLEWARE = [
    "ops.middleware.RequestLogMiddleware",
    # Before the probes: every response has it.
    "eventgallery.csp.PermissionsPolicyMiddleware",
    "ops.middleware.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "eventgallery.csp.ContentSecurityPolicyMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "api.middleware.ApiRequestsMiddleware",
    # Before anything that answers a page or an uploader's error: the language (eventgallery/languages.py).
    "eventgallery.languages.GuestLanguageMiddleware",
    "eventgallery.bad_requests.UploaderJsonErrorsMiddleware",
    "eventgallery.multipart.MultipartBodyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ops.ratelimits.DeviceCookieMiddleware",
    # Last: turns a refused admin log-in into the locked-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "eventgallery.urls"
WSGI_APPLICATION = "eventgallery.wsgi.application"

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
                "eventgallery.branding.branding",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Kept open between requests on SQLite too: opening one and running the PRAGMAs
# below took 1-2 ms of every request.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write to the same file: WAL lets readers go on
    # while one writes, IMMEDIATE avoids the deadlock of two upgrading readers.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's, with a health check that costs no round trip (eventgallery/postgresql/base.py).
        DATABASES["default"]["ENGINE"] = "eventgallery.postgresql"
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # A database host that drops packets (rather than refusing) would otherwise hold a
    # worker's reconnect for the operating system's TCP timeout, minutes long.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT_S", default=10)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# Rendered gallery pages are kept per language (eventgallery/languages.py).
CACHES["default"]["KEY_FUNCTION"] = "eventgallery.languages.cache_key"
_cache_is_redis = CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
# Seconds a Redis cache (and the rate limits' counters there) may take to connect or
# answer before the site goes on without it (ops/cache.py, ops/ratelimits.py).
CACHE_TIMEOUT_S = env.float("CACHE_TIMEOUT_S", default=1.0)
if _cache_is_redis:
    CACHES["default"]["BACKEND"] = "ops.cache.DegradingRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": CACHE_TIMEOUT_S, "socket_timeout": CACHE_TIMEOUT_S}
    )
# How long a rendered gallery page is reused (0: never). A page is made again as soon
# as the gallery or its photos change; this only bounds the life of pages made by
# older code. On S3 it is cut to a sixth of S3_SIGNED_URL_SECONDS (50 s by default),
# so that the signed URLs in a page always have most of their life left.
GALLERY_PAGE_CACHE_SECONDS = env.int("GALLERY_PAGE_CACHE_SECONDS", default=600)

# --- Storage --------------------------------------------------------------------
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Local photos are never served from MEDIA_URL: an access-checked view streams them.
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]

S3_BUCKET = env_first("AWS_STORAGE_BUCKET_NAME", "S3_BUCKET")
# Lifetime of the signed URLs pages and the API give for photos in the bucket: minutes,
# since a URL goes on working after its photo is hidden or its gallery closes.
# AWS_QUERYSTRING_EXPIRE (django-storages' name) is read as an alias.
S3_SIGNED_URL_SECONDS = int(env_first("S3_SIGNED_URL_SECONDS", "AWS_QUERYSTRING_EXPIRE", default="300"))
if not 60 <= S3_SIGNED_URL_SECONDS <= 7 * 24 * 3600:
    raise ImproperlyConfigured("S3_SIGNED_URL_SECONDS must be between 60 (a minute) and 604800 (S3's limit, 7 days).")
if S3_BUCKET:
    default_storage = s3_storage_settings(
        bucket=S3_BUCKET,
        access_key=env_first("AWS_S3_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID", "S3_KEY"),
        secret_key=env_first("AWS_S3_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "S3_SECRET"),
        region=env_first("AWS_S3_REGION_NAME", "AWS_REGION"),
        endpoint_url=env_first("AWS_S3_ENDPOINT_URL", "S3_ENDPOINT_URL"),
        location=env.str("AWS_LOCATION", default=""),
        querystring_expire=S3_SIGNED_URL_SECONDS,
        addressing_style=env.str("AWS_S3_ADDRESSING_STYLE", default="auto"),
        # Seconds, and one try per call: an upload waits on a frozen S3 for at most
        # two calls (the name's check, and the clean-up after the failure), about 10 s,
        # before its 503. The worker and import_photos try again on their own.
        connect_timeout=env.float("AWS_S3_CONNECT_TIMEOUT", default=3),
        read_timeout=env.float("AWS_S3_READ_TIMEOUT", default=5),
        max_attempts=env.int("AWS_S3_MAX_ATTEMPTS", default=1),
    )
    # Clamped, not refused: a cached page must never hand out a URL about to expire.
    GALLERY_PAGE_CACHE_SECONDS = min(GALLERY_PAGE_CACHE_SECONDS, S3_SIGNED_URL_SECONDS // 6)
else:
    default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }
STORAGES = {
    "default": default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 31536000 if not DEBUG else 0

# --- Uploads and photos -----------------------------------------------------------
PHOTO_MAX_UPLOAD_MB = env.int("PHOTO_MAX_UPLOAD_MB", default=100)
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=150_000_000)
# Decoding in a web process (selfies, the compare and detect API, organizers' upload
# checks; guests' uploads are decoded by the worker only), bounded per process
# (galleries/decoding.py): decodes at once, their estimated memory, and how long one
# waits for its turn before the answer is a 503 "busy, try again in a moment".
DECODE_CONCURRENCY = env.int("DECODE_CONCURRENCY", default=1)
DECODE_MEMORY_MB = env.int("DECODE_MEMORY_MB", default=512)
DECODE_WAIT_S = env.float("DECODE_WAIT_S", default=0.5)
if DECODE_CONCURRENCY < 1 or DECODE_MEMORY_MB < 1 or DECODE_WAIT_S < 0:
    raise ImproperlyConfigured("DECODE_CONCURRENCY and DECODE_MEMORY_MB must be at least 1, DECODE_WAIT_S at least 0.")
PHOTO_THUMB_SIZE = env.int("PHOTO_THUMB_SIZE", default=400)
PHOTO_DISPLAY_SIZE = env.int("PHOTO_DISPLAY_SIZE", default=1600)
# Between the two: what a grid tile loads on a phone (a 181 px tile at 3x), so that none loads the display image.
PHOTO_MIDDLE_SIZE = env.int("PHOTO_MIDDLE_SIZE", default=1024)
# The live slideshow (/g/<slug>/slideshow/): seconds each photo shows, and between two
# asks for new photos (an unchanged gallery answers those with a 304).
SLIDESHOW_INTERVAL_S = env.float("SLIDESHOW_INTERVAL_S", default=8)
SLIDESHOW_POLL_S = env.float("SLIDESHOW_POLL_S", default=15)
PHOTOS_PER_PAGE = env.int("PHOTOS_PER_PAGE", default=60)
# Favourites (hearts) one device may keep in one gallery: enough for a guest's pick of
# a wedding, few enough that a script cannot fill the table.
FAVOURITES_PER_GALLERY = env.int("FAVOURITES_PER_GALLERY", default=500)

# --- Branding of the guest pages (eventgallery/branding.py) -------------------------
SITE_NAME = env.str("SITE_NAME", default="Eventgallery")
# An image shown instead of the name in the header (an absolute URL or a path on this site).
SITE_LOGO_URL = env.str("SITE_LOGO_URL", default="")
try:
    # Buttons take it as is (with black or white text, whichever reads); links a shade
    # of it that keeps 4.5:1 on the page.
    SITE_ACCENT_COLOR = parse_hex_color(env.str("SITE_ACCENT_COLOR", default="#9a5b2e"))
except ValueError as error:
    raise ImproperlyConfigured(f"SITE_ACCENT_COLOR: {error}") from None
# Files stream to disk past this size instead of being held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("UPLOAD_MAX_FILES_PER_REQUEST", default=500)

# --- Email (README "Configuration") ----------------------------------------------------
# Sent only when EMAIL_URL names a server (smtp+tls://user:password@host:587, as
# django-environ reads it): organizers hear of hide requests that wait for them.
# Unset, nothing is sent.
EMAIL_URL = env.str("EMAIL_URL", default="")
EMAIL_ENABLED = bool(EMAIL_URL)
if EMAIL_ENABLED:
    globals().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="eventgallery@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Seconds an SMTP server may take to answer: the worker sends, and must not hang on it.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT_S", default=10)

# --- Background tasks -------------------------------------------------------------
TASKS = {"default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}

# --- Find me: face indexing and search ----------------------------------------------
FACE_ENGINE = env.str("FACE_ENGINE", default="local")
if FACE_ENGINE not in ("local", "rekognition"):
    raise ImproperlyConfigured(f"FACE_ENGINE must be local or rekognition, not {FACE_ENGINE!r}.")
# Local engine: descriptor distances (dlib's customary same-person threshold is 0.6).
# A face within FACE_MATCH_DISTANCE of the selfie is "you", up to FACE_MAYBE_DISTANCE
# "maybe you" (with FACE_MATCH_NEIGHBOURS, below, the face's neighbourhood is what is
# measured against them). Faces are grouped into people at index time (each face joins the person
# of its nearest face within FACE_PERSON_DISTANCE); a face within
# FACE_CONFIDENT_DISTANCE of the selfie makes its person's other faces "you" too, up to
# FACE_PERSON_MAX_DISTANCE from the selfie.
FACE_MATCH_DISTANCE = env.float("FACE_MATCH_DISTANCE", default=0.55)
FACE_MAYBE_DISTANCE = env.float("FACE_MAYBE_DISTANCE", default=0.6)
FACE_CONFIDENT_DISTANCE = env.float("FACE_CONFIDENT_DISTANCE", default=0.45)
FACE_PERSON_DISTANCE = env.float("FACE_PERSON_DISTANCE", default=0.4)
FACE_PERSON_MAX_DISTANCE = env.float("FACE_PERSON_MAX_DISTANCE", default=0.65)
# Between FACE_CONFIDENT_DISTANCE and FACE_MAYBE_DISTANCE a face is judged by its
# neighbourhood: the selfie's median distance to the face's FACE_MATCH_NEIGHBOURS
# nearest faces (faces.search.match_tiers), which tells lookalikes apart. 0 judges each
# face by its own distance alone (FACE_MATCH_DISTANCE for "you").
FACE_MATCH_NEIGHBOURS = env.int("FACE_MATCH_NEIGHBOURS", default=5)
# The selfie is one person: a "you" face whose neighbourhood is more than this farther
# from the selfie than the nearest "you" neighbourhood is a lookalike's, and only "maybe
# you"; faces close to a "you" face are "you" too (faces.search.match_tiers). 0: off.
FACE_MATCH_MARGIN = env.float("FACE_MATCH_MARGIN", default=0.12)
FACE_MIN_FACE_PX = env.int("FACE_MIN_FACE_PX", default=40)
# Bytes of face matrices each process keeps for Find me (faces/search.py; 100,000 faces
# take 51.5 MB): the least recently searched galleries are dropped first.
FACE_MATRIX_CACHE_BYTES = env.int("FACE_MATRIX_CACHE_BYTES", default=256 * 1024 * 1024)
# Rekognition: similarities (0-100) for "you" and "maybe you".
FACE_MATCH_SIMILARITY = env.float("FACE_MATCH_SIMILARITY", default=90)
FACE_MAYBE_SIMILARITY = env.float("FACE_MAYBE_SIMILARITY", default=80)
# A selfie that is a copy of a gallery photo (its face this close to a gallery face, or
# the whole picture within FACE_COPY_HASH_BITS of a photo's) finds photos but cannot
# hide them (faces/copies.py; the figures are in bench/README.md).
FACE_COPY_DISTANCE = env.float("FACE_COPY_DISTANCE", default=0.18)
FACE_COPY_SIMILARITY = env.float("FACE_COPY_SIMILARITY", default=99.8)
FACE_COPY_HASH_BITS = env.int("FACE_COPY_HASH_BITS", default=40)
REKOGNITION_REGION = env_first("REKOGNITION_REGION", "AWS_REGION", "AWS_DEFAULT_REGION")
REKOGNITION_ACCESS_KEY_ID = env_first("REKOGNITION_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID", "S3_KEY")
REKOGNITION_SECRET_ACCESS_KEY = env_first("REKOGNITION_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "S3_SECRET")
REKOGNITION_ENDPOINT_URL = env_first("REKOGNITION_ENDPOINT_URL")
REKOGNITION_COLLECTION_PREFIX = env.str("REKOGNITION_COLLECTION_PREFIX", default="eventgallery-")
# Selfies: the largest accepted, and searches per device and window (the ceiling per
# address is with the rate limits below).
SELFIE_MAX_MB = env.int("SELFIE_MAX_MB", default=20)
# The most pixels a selfie (or an image given to compare or detect) may have, read from
# its header before any decode: a phone's selfie camera takes 12 MP, its main camera 12
# to 50 MP in its usual (binned) modes (48 MP on iPhones, 50 MP on Samsung and Pixel);
# a 200 MP full-resolution photo, or a bomb, is refused.
SELFIE_MAX_PIXELS = env.int("SELFIE_MAX_PIXELS", default=50_000_000)
FACE_SEARCHES_PER_WINDOW = env.int("FACE_SEARCHES_PER_WINDOW", default=10)
FACE_SEARCH_WINDOW_S = env.int("FACE_SEARCH_WINDOW_S", default=300)
# How long the link to a search's results works: the results travel in it, signed, and
# nothing of them is stored on the server (faces/services/).
FIND_ME_RESULTS_MAX_AGE_S = env.int("FIND_ME_RESULTS_MAX_AGE_S", default=3600)
if FIND_ME_RESULTS_MAX_AGE_S <= 0:
    raise ImproperlyConfigured("FIND_ME_RESULTS_MAX_AGE_S must be a number of seconds above 0.")
# Rate limits count per client address. Behind N reverse proxies that append to
# X-Forwarded-For, the client is the N-th address from its right; 0 trusts no header
# (a guest could otherwise choose their own address and dodge every limit).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Rate limits (ops/ratelimits.py; README "Rate limits") ---------------------------------
# Counted where every process sees them: Redis when CACHE_URL names it, else a table of
# the database. Never in a process's memory (each gunicorn worker would count alone).
_cache_location = CACHES["default"].get("LOCATION", "")
RATE_LIMIT_REDIS_URL = str(_cache_location).split(",")[0] if _cache_is_redis else ""
# Find me: FACE_SEARCHES_PER_WINDOW per device (above), under a ceiling per address
# sized for a venue whose guests share one Wi-Fi (one address behind its NAT).
FACE_SEARCHES_PER_ADDRESS = env.int("FACE_SEARCHES_PER_ADDRESS", default=300)
# "Hide photos of me" requests from Find me's results (faces/privacy.py), per device
# and per address (a venue's guests share one) in a window.
HIDE_REQUESTS_PER_WINDOW = env.int("HIDE_REQUESTS_PER_WINDOW", default=10)
HIDE_REQUESTS_PER_ADDRESS = env.int("HIDE_REQUESTS_PER_ADDRESS", default=100)
HIDE_REQUEST_WINDOW_S = env.int("HIDE_REQUEST_WINDOW_S", default=3600)
# Guests' hide requests apply at once (where the gallery says so) only while the photos
# hidden at once in the last hour stay within these, per gallery, device and address; beyond,
# a request waits for the organizer's approval (faces/privacy.py).
HIDE_AT_ONCE_PHOTOS_PER_GALLERY_HOUR = env.int("HIDE_AT_ONCE_PHOTOS_PER_GALLERY_HOUR", default=3)
HIDE_AT_ONCE_PHOTOS_PER_DEVICE_HOUR = env.int("HIDE_AT_ONCE_PHOTOS_PER_DEVICE_HOUR", default=1)
HIDE_AT_ONCE_PHOTOS_PER_ADDRESS_HOUR = env.int("HIDE_AT_ONCE_PHOTOS_PER_ADDRESS_HOUR", default=1)
# Access codes: wrong codes per device, per address and per gallery in a window (a right
# code does not count). The gallery's limit stops a guess spread over many devices and
# addresses; guests who type the right code never use it up.
ACCESS_CODE_TRIES_PER_DEVICE = env.int("ACCESS_CODE_TRIES_PER_DEVICE", default=10)
ACCESS_CODE_TRIES_PER_ADDRESS = env.int("ACCESS_CODE_TRIES_PER_ADDRESS", default=30)
ACCESS_CODE_TRIES_PER_GALLERY = env.int("ACCESS_CODE_TRIES_PER_GALLERY", default=60)
ACCESS_CODE_WINDOW_S = env.int("ACCESS_CODE_WINDOW_S", default=900)
# Guests' uploads (a gallery's "guest uploads" mode): files per device, per address (a
# venue's Wi-Fi is one address) and per gallery in a window, each up to PHOTO_MAX_UPLOAD_MB.
GUEST_UPLOADS_PER_DEVICE = env.int("GUEST_UPLOADS_PER_DEVICE", default=100)
GUEST_UPLOADS_PER_ADDRESS = env.int("GUEST_UPLOADS_PER_ADDRESS", default=600)
GUEST_UPLOADS_PER_GALLERY = env.int("GUEST_UPLOADS_PER_GALLERY", default=2000)
GUEST_UPLOAD_WINDOW_S = env.int("GUEST_UPLOAD_WINDOW_S", default=3600)
# ZIP downloads (Download all, my photos, my favourites) a guest may start in a window:
# per device, and per address (a venue's Wi-Fi is one address; a script without cookies
# is a new device at each request). The gallery's managers are not limited.
ZIP_DOWNLOADS_PER_DEVICE = env.int("ZIP_DOWNLOADS_PER_DEVICE", default=20)
ZIP_DOWNLOADS_PER_ADDRESS = env.int("ZIP_DOWNLOADS_PER_ADDRESS", default=200)
ZIP_DOWNLOAD_WINDOW_S = env.int("ZIP_DOWNLOAD_WINDOW_S", default=3600)
# Admin log-in (django-axes): locked per username and address together (an office or a
# venue shares one address), for a cool-off; single sign-on is the provider's to throttle.
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURES", default=5)
AXES_COOLOFF_TIME = timedelta(seconds=env.int("ADMIN_LOGIN_COOLOFF_S", default=900))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "ops.ratelimits.client_ip"
AXES_WHITELIST_CALLABLE = "accounts.lockout.is_single_sign_on"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out_page"
AXES_RESET_ON_SUCCESS = True
# A try during the cool-off does not start it again: the page can say when it ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Failures only: no row for every successful log-in.
AXES_DISABLE_ACCESS_LOG = True
# No banner in every process's log at start (the worker's log is JSON lines of its own).
AXES_VERBOSE = False

# --- JSON API (/api/) ---------------------------------------------------------------
# Origins whose pages may call the API from a browser; CORS headers are sent on /api/ only.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
# Largest JSON body (compare and detect take two base64 images); uploads are bounded
# by PHOTO_MAX_UPLOAD_MB and selfies by SELFIE_MAX_MB.
API_MAX_BODY_MB = env.int("API_MAX_BODY_MB", default=30)
# Lifetime of the signed addresses the API gives for files on local storage.
API_SIGNED_URL_SECONDS = env.int("API_SIGNED_URL_SECONDS", default=3600)

# --- Auth, sessions, security ---------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Older hashes still verify, and are upgraded to Argon2 at the next login.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "admin:login"

# --- Single sign-on for organizers (OpenID Connect; README "Single sign-on") -------
# Off unless a client id is set. The original service's OKTA_* names are aliases:
# OKTA_DOMAIN stands for the endpoints of the Okta org's "default" authorization server.
OKTA_DOMAIN = env_first("OKTA_DOMAIN", default="").removeprefix("https://").strip("/")
_okta_issuer = f"https://{OKTA_DOMAIN}/oauth2/default" if OKTA_DOMAIN else ""


def _oidc_endpoint(name, okta_path):
    return env_first(name, default=f"{_okta_issuer}/v1/{okta_path}" if _okta_issuer else "")


OIDC_RP_CLIENT_ID = env_first("OIDC_CLIENT_ID", "OKTA_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env_first("OIDC_CLIENT_SECRET", "OKTA_CLIENT_SECRET", default="")
OIDC_OP_ISSUER = env_first("OIDC_ISSUER", default=_okta_issuer)
OIDC_OP_AUTHORIZATION_ENDPOINT = _oidc_endpoint("OIDC_AUTHORIZATION_ENDPOINT", "authorize")
OIDC_OP_TOKEN_ENDPOINT = _oidc_endpoint("OIDC_TOKEN_ENDPOINT", "token")
OIDC_OP_USER_ENDPOINT = _oidc_endpoint("OIDC_USERINFO_ENDPOINT", "userinfo")
OIDC_OP_JWKS_ENDPOINT = _oidc_endpoint("OIDC_JWKS_ENDPOINT", "keys")
OIDC_OP_END_SESSION_ENDPOINT = env_first("OIDC_END_SESSION_ENDPOINT", default="")
OIDC_REDIRECT_URI = env_first("OIDC_REDIRECT_URI", "OKTA_REDIRECT_URI", default="")
OIDC_PROVIDER_NAME = env_first("OIDC_PROVIDER_NAME", default="Okta" if OKTA_DOMAIN else "single sign-on")
OIDC_RP_SCOPES = env.str("OIDC_SCOPES", default="openid email profile")
OIDC_RP_SIGN_ALGO = env.str("OIDC_SIGN_ALGO", default="RS256")
OIDC_USE_PKCE = env.bool("OIDC_USE_PKCE", default=True)
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT", default=10)
# Kept for the id_token_hint of the provider's logout.
OIDC_STORE_ID_TOKEN = bool(OIDC_OP_END_SESSION_ENDPOINT)
OIDC_ALLOWED_DOMAINS = [d.strip().lstrip("@").lower() for d in env.list("OIDC_ALLOWED_DOMAINS", default=[])]
OIDC_ORGANIZER_GROUP = env.str("OIDC_ORGANIZER_GROUP", default="")
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups")
OIDC_CREATE_USERS = env.bool("OIDC_CREATE_USERS", default=True)
# First: django-axes refuses a locked-out log-in before any backend checks the password.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
if OIDC_RP_CLIENT_ID:
    _missing = [
        name
        for name, value in [
            ("OIDC_CLIENT_SECRET", OIDC_RP_CLIENT_SECRET),
            ("OIDC_AUTHORIZATION_ENDPOINT", OIDC_OP_AUTHORIZATION_ENDPOINT),
            ("OIDC_TOKEN_ENDPOINT", OIDC_OP_TOKEN_ENDPOINT),
            ("OIDC_USERINFO_ENDPOINT", OIDC_OP_USER_ENDPOINT),
            ("OIDC_JWKS_ENDPOINT", OIDC_OP_JWKS_ENDPOINT),
        ]
        if not value
    ]
    if _missing:
        raise ImproperlyConfigured(
            f"Single sign-on has a client id but no {', '.join(_missing)} (or OKTA_DOMAIN for Okta's endpoints)."
        )
    AUTHENTICATION_BACKENDS.append("accounts.auth.OrganizerOIDCBackend")
# HTTPS settings default to on when DEBUG is off (the site is meant to sit behind a
# TLS-terminating proxy) and off in development.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Content-Security-Policy (django-csp) -----------------------------------------------
# Enforced on every response. Scripts only from our own static files: no page has an
# inline script or event handler. eventgallery/csp.py adds the photo bucket's origin to
# img-src (S3) and single sign-on's end-session origin to form-action; the API docs add
# data: to img-src for Swagger UI's icons (api/api.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Style attributes only (never <style> elements): the face box on a Find me
        # result and the admin's face crops place themselves with them.
        "style-src-attr": [UNSAFE_INLINE],
        # blob: is the Find me selfie's preview, made on the phone from the chosen file.
        "img-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Languages (eventgallery/languages.py) --------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pt", "Português"),
    ("zh-hant", "繁體中文"),
]
# The languages whose translation is complete: only these are offered and chosen.
# A language joins when its locale/<lang>/LC_MESSAGES/django.po is complete;
# eventgallery/tests/test_translations.py then holds it to that.
SHIPPED_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pt", "zh-hant"]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates as the pages always wrote them ("6 December 2026"); other languages use Django's.
FORMAT_MODULE_PATH = ["eventgallery.formats"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Operations: logs, probes, metrics ---------------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}.")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO").upper())
# /readyz wants a worker heartbeat (manage.py run_worker) no older than this.
WORKER_HEARTBEAT_INTERVAL_S = env.float("WORKER_HEARTBEAT_INTERVAL_S", default=15)
WORKER_HEARTBEAT_MAX_AGE_S = env.int("WORKER_HEARTBEAT_MAX_AGE_S", default=60)
# A file the heartbeat touches while the worker's loop lives, for a container's health
# check (the image sets it; ops/container_health.py reads it). Empty: none.
WORKER_ALIVE_FILE = env.str("WORKER_ALIVE_FILE", default="")
# Worker processes `manage.py run_worker` starts (0: one per core it may use), each at
# least this nice, so that pages and selfie searches go first on a busy machine.
WORKER_PROCESSES = env.int("WORKER_PROCESSES", default=0)
WORKER_NICE = env.int("WORKER_NICE", default=10)
READINESS_TIMEOUT_S = env.float("READINESS_TIMEOUT_S", default=3)
# /metrics: open in DEBUG when neither is set, otherwise only with the bearer token or
# from an allowed address (IPs or networks); 404 to everyone else.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
# The worker serves its own metrics on this port when set (0: off).
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=0)
WORKER_METRICS_ADDR = env.str("WORKER_METRICS_ADDR", default="0.0.0.0")

# --- A pipeline that heals: retries, and work left behind by dead workers ----------
# A transient storage error is tried again in the task, TRANSIENT_RETRY_ATTEMPTS times
# in all, waiting TRANSIENT_RETRY_DELAY_S, then twice as long, and so on.
TRANSIENT_RETRY_ATTEMPTS = env.int("TRANSIENT_RETRY_ATTEMPTS", default=3)
TRANSIENT_RETRY_DELAY_S = env.float("TRANSIENT_RETRY_DELAY_S", default=1)
# Then the task is queued again to run after TASK_RETRY_DELAY_S (doubling each time, at
# most TASK_RETRY_MAX_DELAY_S), until it has run TASK_MAX_ATTEMPTS times: then the photo
# fails with the reason. The same bound applies to re-runs after a worker died, and
# import_photos waits for the storage up to TASK_MAX_ATTEMPTS times per file.
TASK_MAX_ATTEMPTS = env.int("TASK_MAX_ATTEMPTS", default=5)
TASK_RETRY_DELAY_S = env.float("TASK_RETRY_DELAY_S", default=30)
TASK_RETRY_MAX_DELAY_S = env.float("TASK_RETRY_MAX_DELAY_S", default=900)
# How often each worker looks for work left behind (tasks of workers whose heartbeat is
# older than WORKER_HEARTBEAT_MAX_AGE_S, photos stuck in processing, lost enqueues).
WORKER_SWEEP_INTERVAL_S = env.float("WORKER_SWEEP_INTERVAL_S", default=60)
# Finished task results (the queue's rows) are deleted after this many days, failed ones
# after TASK_RESULTS_FAILED_KEEP_DAYS (kept longer, to read why), by a sweep of the
# worker every hour (django-tasks-db's own prune; ops/task_queue.py).
TASK_RESULTS_KEEP_DAYS = env.int("TASK_RESULTS_KEEP_DAYS", default=3)
TASK_RESULTS_FAILED_KEEP_DAYS = env.int("TASK_RESULTS_FAILED_KEEP_DAYS", default=14)
# A worker that lost its database tries again after 1 s, then twice as long, up to this.
WORKER_RECONNECT_MAX_DELAY_S = env.float("WORKER_RECONNECT_MAX_DELAY_S", default=30)
