"""Settings shared by every environment.

Everything is declared here from one django-environ object; the environment modules only
change defaults or tighten. With no environment set the stack runs on embedded defaults:
SQLite in WAL mode and kombu's filesystem broker, both under ``var/``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("TRADINGOPS_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_secret(name: str, default: str = "") -> str:
    """A secret from the file named by NAME_FILE (Docker/K8s secrets), else from NAME.

    Every setting in SECRET_SETTINGS is read this way and nowhere else: never from a default
    in code outside dev and test settings, never logged (tradingops.logging redacts them).
    """
    path = env.str(f"{name}_FILE", default="")
    return Path(path).read_text().strip() if path else env.str(name, default=default)


# Settings that hold credentials: each also accepts NAME_FILE; production refuses the dev and
# test defaults (tradingops.settings.production).
SECRET_SETTINGS = (
    "SECRET_KEY",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "REDIS_URL",
    "MONITORING_TOKEN",
    "ALPACA_API_KEY_ID",
    "ALPACA_API_SECRET_KEY",
    "POLYGON_API_KEY",
)

# Secrets: no default here; dev and test settings provide throwaway values.
SECRET_KEY = env_secret("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "django_celery_results",
    "django_prometheus",
    "auditlog",
    "django_structlog",
    "access",
    "audit",
    "marketdata",
    "models_registry",
    "risk",
    "execution",
    "operations",
    "monitoring",
    "drills",  # soak runs and game days
    "harness",  # stand-ins for the outside world: run_broker_simulator
    "dbbackup",  # manage.py dbbackup / dbrestore / listbackups
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): did this session pass a TOTP check (access.views.otp_verify)?
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "tradingops.middleware.RequestIdHeaderMiddleware",
    # Inside the one above (so its JSON keeps X-Request-ID): errors under /api/ are JSON.
    "tradingops.middleware.ApiJsonErrorsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tradingops.urls"
# Debug pages and error mails mask connection URLs as well as keys and tokens.
DEFAULT_EXCEPTION_REPORTER_FILTER = "tradingops.errors.SecretSettingsReporterFilter"
WSGI_APPLICATION = "tradingops.wsgi.application"
ASGI_APPLICATION = "tradingops.asgi.application"

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
                "monitoring.context_processors.kill_switch",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite is shared by web, worker and beat on embedded defaults: WAL lets readers run beside
# the one writer, IMMEDIATE transactions take the write lock up front (no deadlock on upgrade)
# and the timeout makes a writer wait instead of failing with "database is locked".
DATABASE_URL = env_secret("DATABASE_URL")
DATABASES = {
    "default": environ.Env.db_url_config(
        DATABASE_URL or f"sqlite:///{VAR_DIR / 'tradingops.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env_secret("REDIS_URL")
# Every Redis client (cache, risk-state version, Celery broker) bounds its waits: a Redis that
# restarts, or vanishes behind a TCP connection nobody closed, becomes an error the caller
# handles (the guard fails closed, the worker reconnects), never a read that blocks forever.
REDIS_CLIENT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": env.float("REDIS_SOCKET_TIMEOUT_S", default=5.0),
    "socket_keepalive": True,
    "health_check_interval": 10,  # PING a connection idle that long before trusting it
    "retry_on_timeout": True,
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "tradingops",
            "OPTIONS": REDIS_CLIENT_OPTIONS,
        }
    }
else:
    # Shared by every process of one run (web, worker children, beat), as Redis would be: the
    # newest-bar cache, breakers and feed state are written by one process and read by
    # another, and a per-process memory cache answered the trading cycle with a newest bar
    # ingest had long replaced (every price "stale" in `make run`).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }

# django-axes first: it refuses a locked-out username/IP pair before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Per-user API tokens (Authorization: Bearer <secret>), then the admin session (CSRF
        # enforced on unsafe methods). No Basic auth: passwords are typed only into the login
        # page, where django-axes throttles them.
        "access.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tradingops.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "TradingOps API",
    "DESCRIPTION": "Market data, model registry, risk and execution of the TradingOps stack.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs page are for signed-in users (API tokens or the admin session).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# --- Celery ---------------------------------------------------------------------------------
# Without a broker URL the embedded broker needs no server: messages are files under var/,
# written and claimed atomically by tradingops.broker (kombu's own filesystem transport let a
# reader see a half-written file and stop the worker).
CELERY_BROKER_URL = env_secret("CELERY_BROKER_URL", default="filesystem://")
BROKER_DIR = VAR_DIR / "broker"
EMBEDDED_BROKER = CELERY_BROKER_URL.startswith("filesystem://")
if EMBEDDED_BROKER:
    for sub in ("queue", "processed", "control", "staging", "rejected"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT = "tradingops.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),  # claimed, until read
        "control_folder": str(BROKER_DIR / "control"),
        "staging_folder": str(BROKER_DIR / "staging"),  # written here, then renamed into queue/
        "rejected_folder": str(BROKER_DIR / "rejected"),  # files that do not decode, kept
        "store_processed": False,
    }
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # kombu's, except that losing Redis mid-task does not stop the worker (its docstring).
    CELERY_BROKER_TRANSPORT = "tradingops.redis_broker:Transport"
    # kombu's own checks of its BRPOP and pub/sub connections run every health_check_interval.
    CELERY_BROKER_TRANSPORT_OPTIONS = dict(REDIS_CLIENT_OPTIONS)
# After a broker restart the worker and beat keep reconnecting (2, 4, ... 30 s apart) for as
# long as it takes, instead of giving up after 100 attempts and leaving a process that runs
# but consumes nothing.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Counts the messages a worker throws away (tradingops_broker_messages_rejected_total).
CELERY_WORKER_CONSUMER = "tradingops.broker:Consumer"
# django-celery-results' backend, retrying on a fresh connection after the database restarted:
# an error there in the worker's main process would stop the worker (tradingops/results.py).
CELERY_RESULT_BACKEND = "tradingops.results:DatabaseBackend"
CELERY_RESULT_BACKEND_ALWAYS_RETRY = True
CELERY_RESULT_EXTENDED = True
CELERY_CACHE_BACKEND = "django-cache"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# Tasks are idempotent, so acknowledging after the run is safe: a worker that dies mid-task
# leaves the message for another worker instead of losing the step.
CELERY_TASK_ACKS_LATE = True
# A STARTED result row marks when each run began, so its duration and lateness are known.
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# SIGTERM stops a worker in seconds without losing a task. Every launcher starts
# the worker with REMAP_SIGTERM=SIGQUIT (Procfiles, docker/start/worker, the soak stack): a
# process manager that signals the whole process group (honcho, systemd) does not kill the
# pool children outright (one killed while it held the pool's queue lock hung the worker's
# exit until honcho sent SIGKILL, and the task it had claimed was lost); the worker lets a
# running task finish for this many seconds, then stops it and puts its message back (acks
# late), and the next start runs it. honcho sends SIGKILL 5 s after SIGTERM: the default
# leaves the worker about 3 s to stop its pool. Raise it with the grace period of the
# process manager (docker/compose.yaml).
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = env.float("CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT", default=1.0)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="json")  # "json" or "console"
# tradingops.logging builds the handlers: structlog renders JSON (or console in dev) for our
# own loggers and for the standard library's, with the request ID bound by django-structlog.
LOGGING_CONFIG = "tradingops.logging.configure_logging"
LOGGING: dict = {"version": 1}  # non-empty, or Django skips LOGGING_CONFIG
DJANGO_STRUCTLOG_CELERY_ENABLED = True

# --- TradingOps -----------------------------------------------------------------------------
# One clock for every service. Speed > 1 runs market time faster than wall time from the
# anchor (a Unix timestamp shared by every process of one run), so a demo sees a bar every few
# seconds. Speed 1 is the real clock.
TRADINGOPS_CLOCK_SPEED = env.float("TRADINGOPS_CLOCK_SPEED", default=1.0)
TRADINGOPS_CLOCK_ANCHOR = env.float("TRADINGOPS_CLOCK_ANCHOR", default=0.0)
# A session start date (YYYY-MM-DD) switches to the session clock: market time runs only
# through the calendar's sessions, from that session's open at the anchor (soak runs).
TRADINGOPS_CLOCK_SESSION_START = env.str("TRADINGOPS_CLOCK_SESSION_START", default="")
TRADINGOPS_CLOCK_CALENDAR = env.str("TRADINGOPS_CLOCK_CALENDAR", default="XNYS")

MARKETDATA_TIMEFRAME = env.str("MARKETDATA_TIMEFRAME", default="1m")
MARKETDATA_PROVIDER = env.str("MARKETDATA_PROVIDER", default="synthetic")  # or "replay"
MARKETDATA_SYNTHETIC_SEED = env.int("MARKETDATA_SYNTHETIC_SEED", default=7)
MARKETDATA_REPLAY_DIR = env.str("MARKETDATA_REPLAY_DIR", default=str(VAR_DIR / "replay"))
# How far back a first ingest of an instrument reaches.
MARKETDATA_INITIAL_LOOKBACK_BARS = env.int("MARKETDATA_INITIAL_LOOKBACK_BARS", default=300)
MARKETDATA_MAX_BARS_PER_FETCH = env.int("MARKETDATA_MAX_BARS_PER_FETCH", default=5000)
# Providers in failover order for instruments without their own list (first is primary):
# synthetic, replay, alpaca, polygon.
MARKETDATA_PROVIDERS = env.list("MARKETDATA_PROVIDERS", default=[MARKETDATA_PROVIDER])
# Injected bad ticks of the synthetic feed: SYMBOL@ISO-TIME=KIND;... (demos and game days).
MARKETDATA_SYNTHETIC_FAULTS = env.str("MARKETDATA_SYNTHETIC_FAULTS", default="")
# Each provider call: timeout, then retries of retryable errors with exponential backoff and
# jitter (Retry-After is honoured up to the maximum wait).
MARKETDATA_PROVIDER_TIMEOUT_S = env.float("MARKETDATA_PROVIDER_TIMEOUT_S", default=5.0)
MARKETDATA_RETRY_ATTEMPTS = env.int("MARKETDATA_RETRY_ATTEMPTS", default=3)
MARKETDATA_RETRY_INITIAL_WAIT_S = env.float("MARKETDATA_RETRY_INITIAL_WAIT_S", default=0.5)
MARKETDATA_RETRY_MAX_WAIT_S = env.float("MARKETDATA_RETRY_MAX_WAIT_S", default=5.0)
# Circuit breaker per provider: open after FAIL_MAX failures within WINDOW_S, probe after
# RESET_S (half-open), close after SUCCESS_THRESHOLD successful probes.
MARKETDATA_BREAKER_FAIL_MAX = env.int("MARKETDATA_BREAKER_FAIL_MAX", default=5)
MARKETDATA_BREAKER_WINDOW_S = env.float("MARKETDATA_BREAKER_WINDOW_S", default=120.0)
MARKETDATA_BREAKER_RESET_S = env.float("MARKETDATA_BREAKER_RESET_S", default=60.0)
MARKETDATA_BREAKER_SUCCESS_THRESHOLD = env.int("MARKETDATA_BREAKER_SUCCESS_THRESHOLD", default=2)
# Fetch the same window from the next provider and quarantine closes that disagree.
MARKETDATA_CROSS_CHECK = env.bool("MARKETDATA_CROSS_CHECK", default=True)
# After each cycle, look this many bars back for gaps against the exchange calendar.
MARKETDATA_BACKFILL_LOOKBACK_BARS = env.int("MARKETDATA_BACKFILL_LOOKBACK_BARS", default=390)
# An instrument is stale when its newest trusted bar is older than this many timeframes of
# open market.
MARKETDATA_STALE_AFTER_BARS = env.int("MARKETDATA_STALE_AFTER_BARS", default=3)
MARKETDATA_BAR_CACHE_TTL_S = env.int("MARKETDATA_BAR_CACHE_TTL_S", default=3600)
# On PostgreSQL an ingest cycle commits once per this many instruments (round trips).
MARKETDATA_INGEST_COMMIT_EVERY = env.int("MARKETDATA_INGEST_COMMIT_EVERY", default=50)


# Real providers (staging and production): keys only from the environment or secret files.
ALPACA_API_KEY_ID = env_secret("ALPACA_API_KEY_ID")
ALPACA_API_SECRET_KEY = env_secret("ALPACA_API_SECRET_KEY")
ALPACA_DATA_URL = env.str("ALPACA_DATA_URL", default="https://data.alpaca.markets")
ALPACA_DATA_FEED = env.str("ALPACA_DATA_FEED", default="iex")  # or "sip" with a subscription
POLYGON_API_KEY = env_secret("POLYGON_API_KEY")
POLYGON_BASE_URL = env.str("POLYGON_BASE_URL", default="https://api.polygon.io")
# Equities without their own calendar follow this exchange's sessions; crypto is 24/7.
MARKETDATA_EQUITY_CALENDAR = env.str("MARKETDATA_EQUITY_CALENDAR", default="XNYS")
# Quarantine rules (marketdata.quality.PlausibilityRules); see docs/marketdata.md.
MARKETDATA_QUALITY_WINDOW = env.int("MARKETDATA_QUALITY_WINDOW", default=60)
MARKETDATA_QUALITY_ZSCORE = env.float("MARKETDATA_QUALITY_ZSCORE", default=15.0)
MARKETDATA_QUALITY_JUMP_PCT = env.float("MARKETDATA_QUALITY_JUMP_PCT", default=10.0)
MARKETDATA_QUALITY_WICK_PCT = env.float("MARKETDATA_QUALITY_WICK_PCT", default=10.0)
MARKETDATA_QUALITY_DISAGREEMENT_BPS = env.float(
    "MARKETDATA_QUALITY_DISAGREEMENT_BPS", default=100.0
)
MARKETDATA_QUALITY_FROZEN_BARS = env.int("MARKETDATA_QUALITY_FROZEN_BARS", default=10)
MARKETDATA_QUALITY_CONFIRM_BARS = env.int("MARKETDATA_QUALITY_CONFIRM_BARS", default=3)
# A move larger than this (percent of the last trusted close) is not confirmed by the second
# provider agreeing, only by followers at the new level or an operator.
MARKETDATA_QUALITY_REFERENCE_MAX_JUMP_PCT = env.float(
    "MARKETDATA_QUALITY_REFERENCE_MAX_JUMP_PCT", default=50.0
)

MODEL_ARTIFACT_DIR = Path(env.str("MODEL_ARTIFACT_DIR", default=str(VAR_DIR / "artifacts")))
# Content-addressed store of model artifacts and dataset snapshots: "local" (the directory
# above) or "s3" (django-storages S3Storage, any S3-compatible endpoint).
MODEL_ARTIFACT_STORAGE = env.str("MODEL_ARTIFACT_STORAGE", default="local")
MODEL_ARTIFACT_S3_OPTIONS = {
    "bucket_name": env.str("MODEL_ARTIFACT_S3_BUCKET", default=""),
    "endpoint_url": env.str("MODEL_ARTIFACT_S3_ENDPOINT_URL", default="") or None,
    "location": env.str("MODEL_ARTIFACT_S3_PREFIX", default="tradingops"),
    "file_overwrite": False,  # content-addressed: a name is never written twice
}
# Retention: keep this many newest versions per model; older ones that never were champion
# and hold no alias are archived and their artifact removed. Ever-champions are never removed.
MODELS_RETENTION_KEEP_VERSIONS = env.int("MODELS_RETENTION_KEEP_VERSIONS", default=20)

# Training: hold-out share, the embargo (bar times dropped between training and hold-out so
# one-bar-ahead labels cannot leak), walk-forward folds and the backtest's cost per trade.
MODELS_HOLDOUT_FRACTION = env.float("MODELS_HOLDOUT_FRACTION", default=0.2)
MODELS_EMBARGO_BARS = env.int("MODELS_EMBARGO_BARS", default=5)
MODELS_WALK_FORWARD_FOLDS = env.int("MODELS_WALK_FORWARD_FOLDS", default=4)
MODELS_BACKTEST_COST_BPS = env.float("MODELS_BACKTEST_COST_BPS", default=5.0)

# Promotion gates. AUC/log loss may trail the champion by the tolerance; floors are absolute;
# an AUC above the ceiling on next-bar direction means look-ahead, not skill.
MODELS_GATE_METRIC_TOLERANCE = env.float("MODELS_GATE_METRIC_TOLERANCE", default=0.02)
MODELS_GATE_MIN_AUC = env.float("MODELS_GATE_MIN_AUC", default=0.48)
MODELS_GATE_MAX_LOG_LOSS = env.float("MODELS_GATE_MAX_LOG_LOSS", default=0.75)
MODELS_GATE_MAX_AUC = env.float("MODELS_GATE_MAX_AUC", default=0.8)
MODELS_GATE_MAX_BACKTEST_DRAWDOWN = env.float("MODELS_GATE_MAX_BACKTEST_DRAWDOWN", default=0.2)
MODELS_GATE_MIN_SHADOW_SIGNALS = env.int("MODELS_GATE_MIN_SHADOW_SIGNALS", default=0)  # 0: off
MODELS_GATE_MIN_SHADOW_HIT_RATE = env.float("MODELS_GATE_MIN_SHADOW_HIT_RATE", default=0.5)
MODELS_GATE_REQUIRE_APPROVAL = env.bool("MODELS_GATE_REQUIRE_APPROVAL", default=True)

# Drift: PSI 0.1 warns and 0.25 is drift (common practice); KS needs p < 0.05 and a statistic
# of at least 0.2 (rolling features are autocorrelated, so short windows differ a little
# by nature); the dataset drifts when half its features drift. Recent data: this many
# newest bars per instrument.
MODELS_DRIFT_PSI_WARN = env.float("MODELS_DRIFT_PSI_WARN", default=0.1)
MODELS_DRIFT_PSI_DRIFT = env.float("MODELS_DRIFT_PSI_DRIFT", default=0.25)
MODELS_DRIFT_KS_P_VALUE = env.float("MODELS_DRIFT_KS_P_VALUE", default=0.05)
MODELS_DRIFT_KS_MIN_STATISTIC = env.float("MODELS_DRIFT_KS_MIN_STATISTIC", default=0.2)
MODELS_DRIFT_WASSERSTEIN = env.float("MODELS_DRIFT_WASSERSTEIN", default=0.1)
MODELS_DRIFT_SHARE = env.float("MODELS_DRIFT_SHARE", default=0.5)
MODELS_DRIFT_WINDOW_BARS = env.int("MODELS_DRIFT_WINDOW_BARS", default=200)
MODELS_LIVE_SIGNAL_WINDOW = env.int("MODELS_LIVE_SIGNAL_WINDOW", default=200)
# Fewest live signals before prediction-confidence drift is judged at all.
MODELS_DRIFT_MIN_SAMPLES = env.int("MODELS_DRIFT_MIN_SAMPLES", default=30)

RISK_TRADING_DAY_TIMEZONE = env.str("RISK_TRADING_DAY_TIMEZONE", default="America/New_York")
# Where the risk state version lives, that every process compares its cached state against:
# "cache" (the Django cache, i.e. Redis) when REDIS_URL is set, else "database" (the kill
# switch row), because the embedded locmem cache is private to each process.
RISK_STATE_VERSION_STORE = env.str(
    "RISK_STATE_VERSION_STORE", default="cache" if REDIS_URL else "database"
)
# A process reloads its cached risk state at least this often even when the version did not
# change: a safety net for a version change lost while Redis was unreachable.
RISK_STATE_MAX_AGE_S = env.float("RISK_STATE_MAX_AGE_S", default=5.0)
# A four-eyes request (kill switch release, limit raise, loosened state) expires after this.
RISK_CHANGE_REQUEST_TTL_MINUTES = env.int("RISK_CHANGE_REQUEST_TTL_MINUTES", default=60)
# Capital of the paper account: buying power and equity (for drawdown) start from it.
PAPER_ACCOUNT_CAPITAL = Decimal(env.str("PAPER_ACCOUNT_CAPITAL", default="100000"))

PAPER_BROKER_SLIPPAGE_BPS = Decimal(env.str("PAPER_BROKER_SLIPPAGE_BPS", default="5"))

# Which broker executes orders: "paper" (in-process, the embedded default) or "alpaca" (the
# Alpaca trading API, real paper account or the local simulator, see docs/staging.md).
EXECUTION_BROKER = env.str("EXECUTION_BROKER", default="paper")
# Alpaca trading API (orders, positions, account). Paper by default: a live URL is refused by
# production settings unless ALPACA_LIVE_TRADING is explicitly true.
ALPACA_TRADING_BASE_URL = env.str(
    "ALPACA_TRADING_BASE_URL", default="https://paper-api.alpaca.markets"
)
ALPACA_TRADING_STREAM_URL = env.str(
    "ALPACA_TRADING_STREAM_URL", default="wss://paper-api.alpaca.markets/stream"
)
ALPACA_LIVE_TRADING = env.bool("ALPACA_LIVE_TRADING", default=False)
# Seconds one trading API request may take; past it the call counts as BrokerUnavailable.
ALPACA_TRADING_TIMEOUT_S = env.float("ALPACA_TRADING_TIMEOUT_S", default=10.0)
# Attempts of one broker call on timeouts, 5xx and 429 (a submit looks its order up first).
ALPACA_TRADING_RETRY_ATTEMPTS = env.int("ALPACA_TRADING_RETRY_ATTEMPTS", default=3)
ALPACA_TRADING_RETRY_MAX_WAIT_S = env.float("ALPACA_TRADING_RETRY_MAX_WAIT_S", default=2.0)
# The local Alpaca simulator (`manage.py run_broker_simulator`): its state file, the slippage
# and volume participation cap of its fills, its fill tick, and the fault delay of "timeout".
ALPACA_SIMULATOR_DB_PATH = env.str(
    "ALPACA_SIMULATOR_DB_PATH", default=str(VAR_DIR / "alpaca_simulator.sqlite3")
)
ALPACA_SIMULATOR_SLIPPAGE_BPS = Decimal(env.str("ALPACA_SIMULATOR_SLIPPAGE_BPS", default="5"))
ALPACA_SIMULATOR_PARTICIPATION = Decimal(env.str("ALPACA_SIMULATOR_PARTICIPATION", default="0.1"))
ALPACA_SIMULATOR_TICK_S = env.float("ALPACA_SIMULATOR_TICK_S", default=0.3)
ALPACA_SIMULATOR_STARTING_CASH = Decimal(
    env.str("ALPACA_SIMULATOR_STARTING_CASH", default="100000")
)
# Metrics port of `manage.py run_trade_stream` (0: no HTTP endpoint of its own; with
# PROMETHEUS_MULTIPROC_DIR set the web's /metrics shows its series anyway).
TRADE_STREAM_METRICS_PORT = env.int("TRADE_STREAM_METRICS_PORT", default=0)

# Period of the ingest and predict-and-trade periodic tasks, written into the beat schedule by
# `manage.py setup_periodic_tasks` (operators may then edit it in admin).
SCHEDULE_INGEST_SECONDS = env.int("SCHEDULE_INGEST_SECONDS", default=60)
SCHEDULE_TRADE_SECONDS = env.int("SCHEDULE_TRADE_SECONDS", default=60)
SCHEDULE_DATASET_SECONDS = env.int("SCHEDULE_DATASET_SECONDS", default=86400)
SCHEDULE_DRIFT_SECONDS = env.int("SCHEDULE_DRIFT_SECONDS", default=3600)

# Bearer token that lets a monitoring system read /health, /health/<area> and /metrics, from
# MONITORING_TOKEN or MONITORING_TOKEN_FILE (no default: without it only signed-in staff can).
MONITORING_TOKEN = env_secret("MONITORING_TOKEN")
# /metrics without the monitoring token: on for a laptop (dev settings), off everywhere else.
METRICS_PUBLIC = env.bool("METRICS_PUBLIC", default=False)
# How far past its next run a periodic task may be before it counts as late.
SCHEDULER_GRACE_SECONDS = env.int("SCHEDULER_GRACE_SECONDS", default=60)

SCHEDULE_RISK_OVERRIDES_SECONDS = env.int("SCHEDULE_RISK_OVERRIDES_SECONDS", default=60)

# --- Operations: runbooks, readiness checklist, shutdown and startup --------------------------
# Runbooks (Markdown) loaded into admin by `load_runbooks`; alert rules whose runbook_url must
# name one of them (docs/runbooks/<slug>.md, served at /runbooks/<slug>/).
OPERATIONS_RUNBOOKS_DIR = Path(
    env.str("OPERATIONS_RUNBOOKS_DIR", default=str(BASE_DIR / "docs" / "runbooks"))
)
OPERATIONS_ALERT_RULES_DIR = Path(
    env.str("OPERATIONS_ALERT_RULES_DIR", default=str(BASE_DIR / "docker" / "prometheus" / "rules"))
)
# Readiness: how recent a kill switch drill, a passed game day, a passed soak run and an
# audit chain verification must be (days of market time).
OPERATIONS_KILL_SWITCH_TEST_MAX_AGE_DAYS = env.int(
    "OPERATIONS_KILL_SWITCH_TEST_MAX_AGE_DAYS", default=30
)
OPERATIONS_GAME_DAY_MAX_AGE_DAYS = env.int("OPERATIONS_GAME_DAY_MAX_AGE_DAYS", default=30)
OPERATIONS_SOAK_MAX_AGE_DAYS = env.int("OPERATIONS_SOAK_MAX_AGE_DAYS", default=90)
# The port of the private Redis a soak or game-day stack starts; 0 picks a free one. Fixed when
# several people share a machine and each must keep to a port range of their own.
OPERATIONS_STACK_REDIS_PORT = env.int("OPERATIONS_STACK_REDIS_PORT", default=0)
OPERATIONS_AUDIT_MAX_AGE_DAYS = env.int("OPERATIONS_AUDIT_MAX_AGE_DAYS", default=1)
# The last successful backup must be younger than this (wall clock hours), the last passed
# restore drill younger than that (days).
OPERATIONS_BACKUP_MAX_AGE_HOURS = env.float("OPERATIONS_BACKUP_MAX_AGE_HOURS", default=26.0)
OPERATIONS_RESTORE_DRILL_MAX_AGE_DAYS = env.int("OPERATIONS_RESTORE_DRILL_MAX_AGE_DAYS", default=8)
# Graceful shutdown: how long open orders may take to fill before they are cancelled, and
# how long workers get to finish their current task (warm shutdown).
OPERATIONS_SHUTDOWN_ORDER_TIMEOUT_S = env.float("OPERATIONS_SHUTDOWN_ORDER_TIMEOUT_S", default=60.0)
OPERATIONS_SHUTDOWN_DRAIN_TIMEOUT_S = env.float("OPERATIONS_SHUTDOWN_DRAIN_TIMEOUT_S", default=60.0)

# --- Backups (docs/runbooks/backup-and-restore.md) -------------------------------------------
# django-dbbackup: pg_dump (custom format) / pg_restore on PostgreSQL, SQLite's online backup
# API on SQLite. Stored in BACKUP_DIR ("local") or an S3-compatible bucket ("s3").
BACKUP_STORAGE = env.str("BACKUP_STORAGE", default="local")
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(VAR_DIR / "backups")))
BACKUP_S3_OPTIONS = {
    "bucket_name": env.str("BACKUP_S3_BUCKET", default=""),
    "endpoint_url": env.str("BACKUP_S3_ENDPOINT_URL", default="") or None,
    "location": env.str("BACKUP_S3_PREFIX", default="tradingops/backups"),
    "file_overwrite": False,
}
if BACKUP_STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured("BACKUP_STORAGE must be local or s3")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "dbbackup": (
        {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": BACKUP_S3_OPTIONS}
        if BACKUP_STORAGE == "s3"
        else {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(BACKUP_DIR)},
        }
    ),
}
# Retention: `dbbackup --clean` keeps this many newest backups of the database.
DBBACKUP_CLEANUP_KEEP = env.int("BACKUP_KEEP", default=14)
# A fixed server name instead of the host's: containers get a new hostname on every start.
DBBACKUP_HOSTNAME = env.str("BACKUP_SERVER_NAME", default="tradingops")
# Microseconds keep two backups of the same second apart (the storage would rename one).
DBBACKUP_DATE_FORMAT = "%Y-%m-%d-%H%M%S-%f"
# Failures are recorded, exported and alerted (BackupStale), not mailed to ADMINS.
DBBACKUP_SEND_EMAIL = False
SCHEDULE_BACKUP_SECONDS = env.int("SCHEDULE_BACKUP_SECONDS", default=86400)
SCHEDULE_RESTORE_DRILL_SECONDS = env.int("SCHEDULE_RESTORE_DRILL_SECONDS", default=7 * 86400)

# --- Audit trail ----------------------------------------------------------------------------
# django-auditlog stores the request ID (django-structlog's, also bound inside Celery tasks)
# as each change's correlation id. Secret-like fields are excluded at registration (passwords)
# or registered with mask_fields, which then show only a fixed mask.
AUDITLOG_CID_GETTER = "tradingops.middleware.audit_correlation_id"
AUDITLOG_MASK_CALLABLE = "tradingops.middleware.audit_mask"
# Audit events (the hash chain) are kept this long before `prune_audit_events` may remove
# them behind a checkpoint. Seven years covers SEC 17a-4's six and MiFID II's five to seven.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=7 * 366)
# How often the chain is verified end to end (the `verify-audit-chain` periodic task).
SCHEDULE_AUDIT_VERIFY_SECONDS = env.int("SCHEDULE_AUDIT_VERIFY_SECONDS", default=86400)
# The staging soak's daily reports (manage.py staging_run): a no-op while none is running.
SCHEDULE_STAGING_REPORT_SECONDS = env.int("SCHEDULE_STAGING_REPORT_SECONDS", default=3600)

# Execution: order updates, PnL and reconciliation with the broker.
# Realized PnL by average cost or FIFO lots ("average" | "fifo"); both net fees.
EXECUTION_PNL_METHOD = env.str("EXECUTION_PNL_METHOD", default="average")
# A sent order the broker has not acknowledged (pending_new) and does not know is sent again,
# with the same client_order_id, while younger than this; older, it is marked rejected.
EXECUTION_SUBMIT_RETRY_SECONDS = env.int("EXECUTION_SUBMIT_RETRY_SECONDS", default=300)
# The poll asks for the account's fills since the newest recorded fill minus this overlap
# (fills dedupe on the broker's execution id, so the overlap only costs a little reading).
EXECUTION_POLL_OVERLAP_SECONDS = env.int("EXECUTION_POLL_OVERLAP_SECONDS", default=300)
# What a reconciliation break does besides the alert: "alert", or "halt" the affected
# strategy (the whole desk when no strategy is identifiable) through the risk guard.
RECONCILIATION_POLICY = env.str("RECONCILIATION_POLICY", default="alert")
# Cash differences up to this amount (account currency) are not breaks.
RECONCILIATION_CASH_TOLERANCE = Decimal(env.str("RECONCILIATION_CASH_TOLERANCE", default="0.01"))
SCHEDULE_ORDER_POLL_SECONDS = env.int("SCHEDULE_ORDER_POLL_SECONDS", default=30)
SCHEDULE_RECONCILE_SECONDS = env.int("SCHEDULE_RECONCILE_SECONDS", default=300)
# The ledger check (our books against their own fills): cheap grouped queries, so often.
SCHEDULE_LEDGER_CHECK_SECONDS = env.int("SCHEDULE_LEDGER_CHECK_SECONDS", default=60)
if EXECUTION_PNL_METHOD not in ("average", "fifo"):
    raise ImproperlyConfigured("EXECUTION_PNL_METHOD must be average or fifo")
if RECONCILIATION_POLICY not in ("alert", "halt"):
    raise ImproperlyConfigured("RECONCILIATION_POLICY must be alert or halt")

# --- Security (docs/security.md) --------------------------------------------------------------
# Staff need a verified TOTP device (django-otp) before privileged actions: kill switch
# release, limit raises, promotion approval, user management. Production and staging force it.
SECURITY_REQUIRE_2FA = env.bool("SECURITY_REQUIRE_2FA", default=False)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="TradingOps")
# Per-user API tokens: lifetime when the issuer names none, and the longest allowed.
API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=30)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
# Login lockout (django-axes): this many failures of one username from one address lock it
# for the cool-off period; a successful login resets the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Keep every failed login (not only the running count) for review in admin.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Idle timeout: every request renews the session, so it ends after this many idle seconds.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp 4): scripts only from our origin; the admin and the
# on-call dashboard need nothing else. Inline styles stay allowed (admin widgets use style=).
# The Swagger page loads its UI from a CDN, so it alone is left out.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
