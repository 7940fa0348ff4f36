"""Rescored settings: one module, driven by the environment.

Every variable has a working default, so a fresh checkout runs with none set
(SQLite under var/, the embedded Redis that scripts/run starts). `.env.example`
documents each one.
"""
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # embedded-default data: SQLite database, media, Redis workdir
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# The port scripts/run and the test suite give the Redis they start themselves.
EMBEDDED_REDIS_PORT = env.int("EMBEDDED_REDIS_PORT", default=6391)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="insecure-dev-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_rq",
    "django_htmx",
    "template_partials",
    "accounts",
    "transcription",
    "editor",
    "axes",  # login attempts: counted per username and address, locked out past a limit
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the "too many attempts" page
]

ROOT_URLCONF = "rescored_site.urls"
ASGI_APPLICATION = "rescored_site.asgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default=f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0")

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL]},
    },
}

# Two queues: "gpu" runs the models (a GPU worker where there is one, any
# worker otherwise), "cpu" is for light work. Both are served by scripts/run's worker.
RQ_QUEUES = {
    "gpu": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600},
    "cpu": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600},
}
# Our services enqueue in transaction.on_commit themselves, so django-rq must not defer again.
RQ = {"COMMIT_MODE": "auto"}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The throttling backend first: it refuses a locked-out login before the password is checked.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login rate limiting (django-axes): this many failures for one username from one
# address locks that pair out for the cool-off time; a success resets the count.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_COOLOFF_MINUTES", default=15.0) / 60  # hours, as axes counts
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Mail (password reset): printed to the console unless EMAIL_URL names an SMTP
# server, e.g. smtp+tls://user:password@smtp.example.org:587
globals().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Rescored <noreply@localhost>")

# What one user may ask of the workers; reaching a limit refuses the job with a message.
QUOTA_JOBS_PER_DAY = env.int("QUOTA_JOBS_PER_DAY", default=20)
QUOTA_AUDIO_MINUTES_PER_DAY = env.float("QUOTA_AUDIO_MINUTES_PER_DAY", default=60.0)
QUOTA_CONCURRENT_JOBS = env.int("QUOTA_CONCURRENT_JOBS", default=2)
HISTORY_PAGE_SIZE = env.int("HISTORY_PAGE_SIZE", default=20)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "transcription:job_new"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# Browser libraries come from npm (package.json) and are served from our own
# static files, never from a CDN; only their dist folders are exposed.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/abcjs", NODE_MODULES / "abcjs" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
]
# daphne serves static files itself unless a front server does (SERVE_STATIC=0).
SERVE_STATIC = env.bool("SERVE_STATIC", default=True)

# Uploads and results. Never served as public URLs: downloads go through views
# that check who is asking.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# Always stream uploads to disk so the audio can be probed by path.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.TemporaryFileUploadHandler"]

# Limits on what users may submit.
MAX_UPLOAD_MB = env.int("MAX_UPLOAD_MB", default=100)
MAX_AUDIO_MINUTES = env.float("MAX_AUDIO_MINUTES", default=15.0)
ALLOWED_AUDIO_EXTENSIONS = ["wav", "mp3", "flac", "ogg", "m4a"]

# Where model weights live that no pip package ships (separation models):
# `python manage.py fetch_models` fills it where the internet is reachable.
MODEL_DIR = env.path("MODEL_DIR", default=VAR_DIR / "models")
SEPARATION_MODEL = env("SEPARATION_MODEL", default="htdemucs_6s")
# "transkun" ships with its pip package; "bytedance" needs its checkpoint in MODEL_DIR.
PIANO_BACKEND = env("PIANO_BACKEND", default="transkun")
# Transkun's 16 s segments per network pass; unset: 16 on a GPU, 1 on a CPU. Same notes either way.
TRANSKUN_BATCH_SEGMENTS = env.int("TRANSKUN_BATCH_SEGMENTS", default=None)
# With separation, split the voice off first with this model when its checkpoint is
# in MODEL_DIR (`fetch_models bs_roformer_vocals`); empty: demucs alone.
VOCALS_MODEL = env("VOCALS_MODEL", default="bs_roformer_vocals") or None
# Whether a worker may download missing weights on first use (where the internet is reachable).
MODEL_DOWNLOAD = env.bool("MODEL_DOWNLOAD", default=True)
# A cookies file (Netscape format) for YouTube's age and bot checks, set by the admin.
YOUTUBE_COOKIES_FILE = env("YOUTUBE_COOKIES_FILE", default="")
# Which sites links may fetch from: None is YouTube only. Only tests widen it.
SOURCE_FETCH_SCOPE = None

# Worker behaviour.
ML_DEVICE = env("ML_DEVICE", default="")  # "" picks CUDA when present, else CPU
JOB_TIMEOUT_SECONDS = env.int("JOB_TIMEOUT_SECONDS", default=3600)
# A running job whose worker has not beaten for this long is declared dead.
JOB_HEARTBEAT_SECONDS = env.int("JOB_HEARTBEAT_SECONDS", default=10)
JOB_STALE_AFTER_SECONDS = env.int("JOB_STALE_AFTER_SECONDS", default=90)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
