"""The one settings module (house style §12).

Our variables start with ``HEMAOPS_``; Django's keep their names. ``.env.example`` lists them.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from hemaops.env import env_bool, env_choice, env_int, env_list, env_path, env_str, env_time_zone
from hemaops.keys import AUDIT_KEY_FILE, MINIMUM_KEY_LENGTH, SECRET_KEY_FILE, read_key

PACKAGE_DIR = Path(__file__).resolve().parent
HEMAOPS_HOME = env_path("HEMAOPS_HOME", Path("var"))

# Keys: the environment, else the files `hemaops init` / `hemaops demo` write. Empty when
# neither exists: `hemaops serve` then refuses to start (hemaops.keys.missing_key_message).
SECRET_KEY = read_key("SECRET_KEY", SECRET_KEY_FILE, HEMAOPS_HOME)
HEMAOPS_AUDIT_KEY = read_key("HEMAOPS_AUDIT_KEY", AUDIT_KEY_FILE, HEMAOPS_HOME)
for _name, _value in (("SECRET_KEY", SECRET_KEY), ("HEMAOPS_AUDIT_KEY", HEMAOPS_AUDIT_KEY)):
    if _value and len(_value) < MINIMUM_KEY_LENGTH:
        raise ImproperlyConfigured(f"{_name} must be at least {MINIMUM_KEY_LENGTH} characters long")

DEBUG = env_bool("HEMAOPS_DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", ["http://127.0.0.1", "http://localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "template_partials",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "ninja",
    "hemaops.core",
    "hemaops.finance",
    "hemaops.donors",
    "hemaops.donations",
    "hemaops.lab",
    "hemaops.components",
    "hemaops.billing",
    "hemaops.distribution",
    "hemaops.reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "hemaops.core.middleware.RequestIdMiddleware",
    "hemaops.core.middleware.SecondFactorMiddleware",
    "hemaops.core.middleware.HospitalTimeZoneMiddleware",
    "hemaops.core.middleware.DomainErrorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hemaops.urls"
WSGI_APPLICATION = "hemaops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hemaops.core.context_processors.navigation",
            ],
        },
    },
]

# Database: DATABASE_URL chooses; without it, an embedded SQLite file under HEMAOPS_HOME.
_database_url = env_str("DATABASE_URL")
if _database_url:
    try:
        _database = dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)
    except Exception as error:  # dj_database_url raises several types for a bad URL
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL we understand: {error}") from None
    if _database["ENGINE"] not in (
        "django.db.backends.postgresql",
        "django.db.backends.sqlite3",
    ):
        raise ImproperlyConfigured("DATABASE_URL must name a postgres:// or sqlite:// database")
else:
    _database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(HEMAOPS_HOME / "hemaops.sqlite3"),
    }
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the server's readers work while a writer commits; IMMEDIATE takes the write
    # lock at BEGIN so two writers queue instead of failing half-way through a transaction.
    _database.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    _database.setdefault("TEST", {})["NAME"] = str(HEMAOPS_HOME / "test-hemaops.sqlite3")
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Lockout after repeated failed logins (django-axes): per user name and address.
AXES_FAILURE_LIMIT = env_int("HEMAOPS_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("HEMAOPS_LOGIN_LOCKOUT_MINUTES", 30, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Two-factor: required for the roles in hemaops.core.roles.SECOND_FACTOR_ROLES.
HEMAOPS_REQUIRE_SECOND_FACTOR = env_bool("HEMAOPS_REQUIRE_SECOND_FACTOR", default=True)
OTP_TOTP_ISSUER = "Hemaops"

# Electronic signatures: refused re-authentications before signing is locked, and for how long.
HEMAOPS_SIGNATURE_FAILURE_LIMIT = env_int("HEMAOPS_SIGNATURE_FAILURE_LIMIT", 3, minimum=1)
HEMAOPS_SIGNATURE_LOCKOUT_MINUTES = env_int("HEMAOPS_SIGNATURE_LOCKOUT_MINUTES", 15, minimum=1)

# Business dates: how far from now a recorded time may lie before it counts as back-dated.
HEMAOPS_BACKDATE_TOLERANCE_MINUTES = env_int("HEMAOPS_BACKDATE_TOLERANCE_MINUTES", 15, minimum=0)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("HEMAOPS_SESSION_HOURS", 10, minimum=1) * 3600
SESSION_COOKIE_SECURE = env_bool("HEMAOPS_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LANGUAGE_CODE = "en-us"
# The establishment's time zone: pages show times in it, forms read typed times in it, and a
# "today" that no site answers for (an invoice's age, the ledger's period) is its date. Each site
# and hospital keeps its own zone for its own business day (a collection, an expiry at 23:59).
TIME_ZONE = env_time_zone("HEMAOPS_TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = HEMAOPS_HOME / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the package when collectstatic has not run (tests, a first look).
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice(
            "HEMAOPS_LOG_LEVEL", "WARNING", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        ),
    },
}
