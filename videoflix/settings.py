"""Django settings, read from the environment.

Every variable has an embedded default that needs no server (SQLite, Huey on SQLite,
local-memory cache, console email, local media). `.env.example` lists them all.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from botocore.config import Config
from django.core.exceptions import ImproperlyConfigured

from videoflix.env import env_bool, env_int, env_list, env_str
from videoflix.keys import checked_key, embedded_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
# Local state of the embedded mode (SQLite files, its signing key) lives here, out of the
# source folders.
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured(
        "DEBUG is off and SECRET_KEY is not set: set it to a long random value."
    )
SECRET_KEY = checked_key("SECRET_KEY", SECRET_KEY or embedded_secret_key(VAR_DIR))
JWT_SIGNING_KEY = checked_key("JWT_SIGNING_KEY", env_str("JWT_SIGNING_KEY", SECRET_KEY))

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "anymail",
    "huey.contrib.djhuey",
    "ninja",
    "ninja_extra",
    "ninja_jwt",
    "ninja_jwt.token_blacklist",
    "videoflix",
    "accounts",
    "catalog",
    "streaming",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "videoflix.urls"
WSGI_APPLICATION = "videoflix.wsgi.application"
ASGI_APPLICATION = "videoflix.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'videoflix.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Web and worker write to the same file: wait for locks instead of failing at once.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests too use a file, not shared memory: worker threads and processes must share it
    # and wait for each other's locks as they do in production.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-videoflix.sqlite3")}
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and queue -----------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "videoflix"),
        },
        # What every streaming request reads (token holder, stream facts): kept in each
        # process for NEAR_CACHE_SECONDS too, so most requests make no Redis round trip.
        "hot": {
            "BACKEND": "videoflix.cache.NearCache",
            "OPTIONS": {
                "SHARED": "default",
                "NEAR_SECONDS": env_int("NEAR_CACHE_SECONDS", 5),
            },
        },
    }
else:
    # Already in process memory: "hot" is the same store under another name.
    _local = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "videoflix"}
    CACHES = {"default": _local, "hot": _local}

HUEY_NAME = env_str("HUEY_NAME", "videoflix")
HUEY_WORKERS = env_int("HUEY_WORKERS", 2)
_huey_consumer = {"workers": HUEY_WORKERS, "worker_type": "thread", "periodic": True}
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": HUEY_NAME,
        "url": REDIS_URL,
        "immediate": env_bool("HUEY_IMMEDIATE", False),
        "consumer": _huey_consumer,
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": HUEY_NAME,
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": env_bool("HUEY_IMMEDIATE", False),
        "consumer": _huey_consumer,
    }

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    # `username` is only an alias of the email here: compare once, name it "email address".
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["email"]},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

NINJA_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env_int("JWT_ACCESS_LIFETIME_SECONDS", 15 * 60)),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        seconds=env_int("JWT_REFRESH_LIFETIME_SECONDS", 7 * 24 * 3600)
    ),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": JWT_SIGNING_KEY,
}

# Cookies carrying the JWTs. Secure everywhere except in development.
AUTH_COOKIE_ACCESS = "access_token"
AUTH_COOKIE_REFRESH = "refresh_token"
AUTH_COOKIE_SECURE = env_bool("AUTH_COOKIE_SECURE", not DEBUG)
AUTH_COOKIE_SAMESITE = env_str("AUTH_COOKIE_SAMESITE", "Lax")
AUTH_COOKIE_DOMAIN = env_str("AUTH_COOKIE_DOMAIN", "") or None
# How long the user behind an access token stays cached (dropped at once when saved).
AUTH_USER_CACHE_SECONDS = env_int("AUTH_USER_CACHE_SECONDS", 30)
SESSION_COOKIE_SECURE = AUTH_COOKIE_SECURE
CSRF_COOKIE_SECURE = AUTH_COOKIE_SECURE
CSRF_COOKIE_SAMESITE = AUTH_COOKIE_SAMESITE

# Links in activation and reset mails point at the front end.
FRONTEND_URL = env_str("FRONTEND_URL", "http://127.0.0.1:5500").rstrip("/")
ACTIVATION_URL_TEMPLATE = env_str(
    "ACTIVATION_URL_TEMPLATE", "{frontend}/pages/auth/activate.html?uid={uid}&token={token}"
)
PASSWORD_RESET_URL_TEMPLATE = env_str(
    "PASSWORD_RESET_URL_TEMPLATE",
    "{frontend}/pages/auth/confirm_password.html?uid={uid}&token={token}",
)
ACTIVATION_TIMEOUT_SECONDS = env_int("ACTIVATION_TIMEOUT_SECONDS", 24 * 3600)
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT_SECONDS", 3600)

# Throttling of the public auth routes: "<count>/<period>" (s, min, hour, day; "10/15min"
# works too). An empty rate here switches that counter off; a blank environment variable
# means the default, like every other variable.
# Login counts wrong passwords only; the per-email rates are ceilings across all client
# addresses, high enough that a stranger needs many requests to lock an owner out, low
# enough to stop online guessing (100 a hour: 2,400 guesses a day at most; SECURITY.md).
AUTH_THROTTLE_RATES = {
    "login_ip": env_str("THROTTLE_LOGIN_IP", "20/min"),
    "login_ip_email": env_str("THROTTLE_LOGIN_IP_EMAIL", "5/min"),
    "login_email": env_str("THROTTLE_LOGIN_EMAIL", "100/hour"),
    "register_ip": env_str("THROTTLE_REGISTER_IP", "10/hour"),
    "password_reset_ip": env_str("THROTTLE_PASSWORD_RESET_IP", "10/hour"),
    "password_reset_ip_email": env_str("THROTTLE_PASSWORD_RESET_IP_EMAIL", "3/hour"),
    "password_reset_email": env_str("THROTTLE_PASSWORD_RESET_EMAIL", "20/day"),
}
# Reverse proxies in front of the app that append the client address to X-Forwarded-For;
# 0 trusts no header and throttles by REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Activation and reset mails are retried on failure, the delay doubling each time.
ACCOUNT_EMAIL_RETRIES = env_int("ACCOUNT_EMAIL_RETRIES", 5)
ACCOUNT_EMAIL_RETRY_DELAY_SECONDS = env_int("ACCOUNT_EMAIL_RETRY_DELAY_SECONDS", 30)

# The demo account exists in the embedded mode, and in a deployment that asks for demo data
# (`manage.py setup` with DEMO_DATA): asking for the demo film is asking for its account.
DEMO_DATA = env_bool("DEMO_DATA", False)
DEMO_ACCOUNT_ENABLED = env_bool("DEMO_ACCOUNT_ENABLED", DEBUG or DEMO_DATA)
DEMO_ACCOUNT_EMAIL = env_str("DEMO_ACCOUNT_EMAIL", "demo@videoflix.local")
DEMO_ACCOUNT_PASSWORD = env_str("DEMO_ACCOUNT_PASSWORD", "videoflix-demo")

# --- CORS (front ends on another origin, with cookies) --------------------------------
CORS_ALLOWED_ORIGINS = env_list(
    "CORS_ALLOWED_ORIGINS", ["http://127.0.0.1:5500", "http://localhost:5500"]
)
CORS_ALLOW_CREDENTIALS = True
# Paged catalog answers keep a bare list as their body and say the rest in headers.
CORS_EXPOSE_HEADERS = ["Link", "X-Total-Count"]
# A front end CORS lets read answers with cookies may also write with them (CSRF checked).
CSRF_TRUSTED_ORIGINS = [*CSRF_TRUSTED_ORIGINS, *CORS_ALLOWED_ORIGINS]

# --- Email ----------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Videoflix <noreply@videoflix.local>")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
# Where django.core.mail.backends.filebased.EmailBackend writes each mail as a file.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
# Any anymail provider: ANYMAIL_<PROVIDER>_<SETTING> variables, e.g. ANYMAIL_POSTMARK_SERVER_TOKEN.
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("ANYMAIL_")
}

# --- Files ----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# The admin preview player's hls.js, put here by `make setup` or the image build
# (player/vendor.py). Listed only when present: without it the admin says the player is
# unavailable, and Django's check would warn about a missing folder.
PLAYER_STATIC_DIR = BASE_DIR / "player" / "static"
STATICFILES_DIRS = [PLAYER_STATIC_DIR] if PLAYER_STATIC_DIR.is_dir() else []
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Where media lives: "local" (MEDIA_ROOT, the embedded default) or "s3" (a private
# S3-compatible bucket through django-storages: AWS S3, R2, B2, MinIO, SeaweedFS, ...).
MEDIA_STORAGE = env_str("MEDIA_STORAGE", "local").lower()
if MEDIA_STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be 'local' or 's3', not {MEDIA_STORAGE!r}.")
S3_ENDPOINT_URL = env_str("S3_ENDPOINT_URL", "")  # empty: AWS's own endpoint for S3_REGION
S3_BUCKET = env_str("S3_BUCKET", "")
S3_REGION = env_str("S3_REGION", "us-east-1")
S3_ACCESS_KEY_ID = env_str("S3_ACCESS_KEY_ID", "")
S3_SECRET_ACCESS_KEY = env_str("S3_SECRET_ACCESS_KEY", "")
# Temporary credentials (AWS STS, an assumed role): the token that goes with the key pair above.
S3_SESSION_TOKEN = env_str("S3_SESSION_TOKEN", "")
# Optional base URL viewers fetch media bytes from instead of S3_ENDPOINT_URL (a CDN, or the
# deployment's nginx proxying the bucket under the API's origin); signed URLs keep their path.
S3_MEDIA_BASE_URL = env_str("S3_MEDIA_BASE_URL", "").rstrip("/")
# How long a signed segment / thumbnail URL opens its object. A player keeps a VOD playlist's
# URLs for the whole film, so this outlasts the longest film with pauses; a replaced output
# version is deleted only once every URL signed for it has expired.
S3_SIGNED_URL_SECONDS = env_int("S3_SIGNED_URL_SECONDS", 4 * 3600)
if not 600 <= S3_SIGNED_URL_SECONDS <= 7 * 86400:  # signing times lag up to 300 s; SigV4's limit
    raise ImproperlyConfigured("S3_SIGNED_URL_SECONDS must lie between 600 and 604800.")
if MEDIA_STORAGE == "s3" and not S3_BUCKET:
    raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs S3_BUCKET.")
# The storage's client is the web's: a person waits on an upload, a delete or a playlist read, so
# a store that is away is a 503 within seconds, not botocore's default of 3 attempts with 60 s
# connect and read timeouts each. An admin upload to a store that accepts and never answers
# took 180 s with those and takes 20 s with these (measured; a refused connection: 0.5 s
# either way). One retry covers a pooled connection the store dropped. Transcodes build their
# own patient client from the same storage (catalog.objectstore.worker_client).
S3_CLIENT_CONFIG = Config(
    s3={"addressing_style": "path"},
    signature_version="s3v4",
    connect_timeout=3,
    read_timeout=10,
    retries={"mode": "standard", "total_max_attempts": 2},
)
_S3_OPTIONS = {
    "bucket_name": S3_BUCKET,
    "endpoint_url": S3_ENDPOINT_URL or None,
    "region_name": S3_REGION,
    "access_key": S3_ACCESS_KEY_ID or None,
    "secret_key": S3_SECRET_ACCESS_KEY or None,
    "security_token": S3_SESSION_TOKEN or None,
    # A private bucket: no ACL header on any request (R2, B2, MinIO and GCS with uniform
    # access refuse them); every read is authorised by a URL we sign.
    "default_acl": None,
    "querystring_auth": True,
    "file_overwrite": False,
    "client_config": S3_CLIENT_CONFIG,  # path-style addressing, SigV4
}
STORAGES = {
    "default": (
        {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _S3_OPTIONS}
        if MEDIA_STORAGE == "s3"
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads above this size go to a temporary file, never into memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
VIDEO_UPLOAD_MAX_BYTES = env_int("VIDEO_UPLOAD_MAX_BYTES", 20 * 1024**3)
# A feature film's subtitles are 50-150 KB; anything far larger is not a subtitle file.
SUBTITLE_UPLOAD_MAX_BYTES = env_int("SUBTITLE_UPLOAD_MAX_BYTES", 2 * 1024**2)
FILE_UPLOAD_PERMISSIONS = 0o644

# Transcode jobs. Attempts count claims: transient failures and dead workers both use one up.
VIDEO_TRANSCODE_MAX_ATTEMPTS = env_int("VIDEO_TRANSCODE_MAX_ATTEMPTS", 3)
# The first retry waits this long, every further one twice as long as the one before.
VIDEO_TRANSCODE_RETRY_DELAY_SECONDS = env_int("VIDEO_TRANSCODE_RETRY_DELAY_SECONDS", 30)
# A processing video whose worker has not reported for this long was abandoned (dead worker).
VIDEO_HEARTBEAT_STALE_SECONDS = env_int("VIDEO_HEARTBEAT_STALE_SECONDS", 120)
# A pending video queued this long ago and never picked up is queued again (lost queue entry).
VIDEO_PENDING_REQUEUE_SECONDS = env_int("VIDEO_PENDING_REQUEUE_SECONDS", 3600)
# HLS rungs by name (e.g. 480p,720p,1080p) and x264 preset; empty: the transcoding defaults.
VIDEO_TRANSCODE_RENDITIONS = env_list("VIDEO_TRANSCODE_RENDITIONS", [])
VIDEO_TRANSCODE_PRESET = env_str("VIDEO_TRANSCODE_PRESET", "")
# One gain per film to this integrated loudness (EBU R128), true peak kept <= -1 dBTP.
LOUDNESS_NORMALISATION = env_bool("LOUDNESS_NORMALISATION", True)
LOUDNESS_TARGET_LUFS = float(env_str("LOUDNESS_TARGET_LUFS", "-16"))
# A storyboard (scrubbing preview) tile every this many seconds; 0: no storyboard.
STORYBOARD_INTERVAL_SECONDS = env_int("STORYBOARD_INTERVAL_SECONDS", 5)

# Streaming: serve segments through nginx (X-Accel-Redirect) instead of from Python.
STREAMING_X_ACCEL = env_bool("STREAMING_X_ACCEL", False)
STREAMING_X_ACCEL_PREFIX = env_str("STREAMING_X_ACCEL_PREFIX", "/protected-media/")
# Shared with the nginx in front (deploy/nginx): media playlists then carry signed segment
# links that nginx checks itself. Empty: plain links, nginx asks Django (cached briefly).
STREAMING_SEGMENT_LINK_SECRET = env_str("STREAMING_SEGMENT_LINK_SECRET", "")
# A signed link opens segments for one to two of these steps (and never past its token):
# how long logout or a password change may take to reach a link nginx checks alone.
STREAMING_SEGMENT_LINK_SECONDS = env_int("STREAMING_SEGMENT_LINK_SECONDS", 120)

# Public base URL used for absolute URLs built outside a request (worker, commands).
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Security in production ------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS", [])

# --- Locale, logging -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"huey": {"level": LOG_LEVEL, "handlers": ["console"], "propagate": False}},
}
STREAM_INFO_CACHE_SECONDS = env_int("STREAM_INFO_CACHE_SECONDS", 30)
