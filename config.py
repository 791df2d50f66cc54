"""Configuration read from the environment.

Every setting is documented in README.md (Configuration). `Config` is the embedded default
(SQLite under `instance/`, a generated secret key kept under `instance/`); `ProductionConfig`
refuses to start without an explicit `SECRET_KEY` and `DATABASE_URL`; `TestConfig` is what the
test suite builds on.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_json_object(name: str) -> dict[str, str]:
    """A JSON object of strings from the environment ({} when unset); errors name `name`."""
    text = os.environ.get(name) or "{}"
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{name} is not valid JSON: {exc}") from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"{name} must be a JSON object of strings (name → secret).")
    return value


def _env_retries(name: str) -> dict[str, list[int]]:
    """A JSON object topic → list of seconds from the environment ({} when unset)."""
    try:
        value = json.loads(os.environ.get(name) or "{}")
    except ValueError as exc:
        raise ValueError(f"{name} is not valid JSON: {exc}") from None
    if not isinstance(value, dict) or not all(
        isinstance(v, list) and all(isinstance(n, int) and n >= 0 for n in v)
        for v in value.values()
    ):
        raise ValueError(f"{name} must be a JSON object: topic → list of seconds.")
    return value


def instance_path() -> Path:
    """Folder for the embedded database, the generated secret key and attachments."""
    return Path(os.environ.get("TESSERA_INSTANCE_PATH", BASE_DIR / "instance"))


def load_or_create_secret_key(folder: Path) -> str:
    """Return the key kept in `folder/secret_key`, creating it once with 64 random bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(64))
    return key_file.read_text().strip()


def _default_database_url() -> str:
    return "sqlite:///" + str(instance_path() / "tessera.db")


# Flask-AppBuilder builtin roles: [view_menu regex, permission regex], matched with re.match,
# so every pattern is anchored. Admin gets everything through AUTH_ROLE_ADMIN.
_SELF_SERVICE = [
    ["^UserInfoEditView$", "^can_this_form_(get|post)$"],
    ["^ResetMyPasswordView$", "^can_this_form_(get|post)$"],
    ["^(UserDBModelView|UserLDAPModelView|UserOAuthModelView)$", "^can_userinfo$"],
    ["^(UserDBModelView|UserLDAPModelView|UserOAuthModelView)$", "^resetmypassword$"],
    ["^UserDBModelView$", "^userinfoedit$"],
    ["^MenuApi$", "^can_get$"],
    # The OpenAPI document describes the API and holds no data: every signed-in role reads it.
    ["^OpenApi$", "^can_get$"],
]
FAB_ROLES = {
    "Agent": [
        *_SELF_SERVICE,
        ["^TeamView$", "^can_(list|availability)$"],
        ["^Team$", "^menu_access$"],
        ["^Tickets$", "^can_(get|post|put)$"],
        ["^Ticket desk$", "^menu_access$"],
        ["^TicketView$", "^can_(list|show|new|edit|comment)$"],
        # The bell: one's own notifications, on the page and over the API.
        ["^NotificationsView$", "^can_(read|mark)$"],
        ["^Notifications$", "^can_(get|post)$"],
    ],
    "DepartmentHead": [
        *_SELF_SERVICE,
        ["^TeamView$", "^can_(list|availability)$"],
        ["^Team$", "^menu_access$"],
        ["^Tickets$", "^can_(get|post|put)$"],
        ["^Ticket desk$", "^menu_access$"],
        ["^TicketView$", "^can_(list|show|new|edit|comment)$"],
        # Approvals: the inbox and its menu entry, the approvals API, and approve/reject of
        # workflow versions on the definitions API (nothing else of the console).
        ["^ApprovalsView$", "^can_(read|decide)$"],
        ["^Approvals$", "^menu_access$"],
        ["^ApprovalRequests$", "^can_(get|post)$"],
        ["^Definitions$", "^can_decide$"],
        ["^NotificationsView$", "^can_(read|mark)$"],
        ["^Notifications$", "^can_(get|post)$"],
    ],
}


class Config:
    """Embedded default: SQLite file under instance/, local Redis, demo-friendly settings."""

    APP_NAME = "Tessera"
    TESSERA_ENV = os.environ.get("TESSERA_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY") or None  # filled from instance/ in create_app
    SQLALCHEMY_DATABASE_URI: str | None = os.environ.get("DATABASE_URL") or _default_database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    RQ_QUEUES = ["high", "default", "low"]
    # Seconds between two sweeps of the outbox by `flask tessera cron`.
    TESSERA_CRON_INTERVAL = float(os.environ.get("TESSERA_CRON_INTERVAL", "5"))
    # Retry delays per outbox topic, replacing the built-in ones: {"webhook.deliver": [5, 60]}.
    TESSERA_JOB_RETRIES = _env_retries("TESSERA_JOB_RETRIES")
    # Done outbox messages are deleted after this many days (0: kept forever); see
    # app/outbox/retention.py. Effect keys are kept.
    TESSERA_OUTBOX_RETENTION_DAYS = float(os.environ.get("TESSERA_OUTBOX_RETENTION_DAYS", "30"))
    # Seconds between two runs of the automations (time-based workflow rules).
    TESSERA_AUTOMATION_INTERVAL = float(os.environ.get("TESSERA_AUTOMATION_INTERVAL", "60"))
    # Admins see a banner once the oldest due outbox message has waited this many seconds.
    TESSERA_OUTBOX_BANNER_SECONDS = float(os.environ.get("TESSERA_OUTBOX_BANNER_SECONDS", "300"))
    # How long the web app waits for Redis before calling the job queue offline.
    REDIS_HEALTH_TIMEOUT = float(os.environ.get("REDIS_HEALTH_TIMEOUT", "0.25"))
    REDIS_HEALTH_TTL = float(os.environ.get("REDIS_HEALTH_TTL", "10"))
    # Reverse proxies in front of the app (nginx, a load balancer): with N > 0 the client's
    # address, scheme and host come from the last N X-Forwarded-* entries (login throttling
    # counts per address). Leave 0 when clients connect directly: the headers would be forged.
    TESSERA_PROXY_COUNT = int(os.environ.get("TESSERA_PROXY_COUNT", "0"))
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(16 * 1024 * 1024)))

    # Attachments (app.tickets.storage): folder (empty = instance/attachments), size per file,
    # allowed content types (comma-separated; empty = the built-in list).
    TESSERA_ATTACHMENT_ROOT = os.environ.get("TESSERA_ATTACHMENT_ROOT") or None
    TESSERA_ATTACHMENT_MAX_BYTES = int(
        os.environ.get("TESSERA_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))
    )
    TESSERA_ATTACHMENT_TYPES = [
        t.strip() for t in os.environ.get("TESSERA_ATTACHMENT_TYPES", "").split(",") if t.strip()
    ] or None

    # Links in notifications and e-mails: <TESSERA_BASE_URL>/tickets/<id>.
    TESSERA_BASE_URL = os.environ.get("TESSERA_BASE_URL", "http://127.0.0.1:8080")

    # Mail (app.notifications.mail). The embedded default sends to the local sink
    # (`flask --app run tessera mailsink`, listening on MAIL_SINK_HOST:MAIL_PORT); production
    # sets MAIL_SERVER and MAIL_PORT to its relay (usually port 25 or 587).
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "8025"))
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "tessera@localhost")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))  # seconds per SMTP operation
    MAIL_SINK_HOST = os.environ.get("MAIL_SINK_HOST", "127.0.0.1")

    # Webhooks (docs/webhooks.md): the secrets workflow webhook actions name (a JSON object,
    # name → secret), whether private addresses may be reached, the request timeout in
    # seconds, and the failures in a row after which an endpoint is disabled.
    TESSERA_WEBHOOK_SECRETS = _env_json_object("TESSERA_WEBHOOK_SECRETS")
    TESSERA_WEBHOOK_ALLOW_PRIVATE = _env_bool("TESSERA_WEBHOOK_ALLOW_PRIVATE", False)
    TESSERA_WEBHOOK_TIMEOUT = float(os.environ.get("TESSERA_WEBHOOK_TIMEOUT", "10"))
    TESSERA_WEBHOOK_DISABLE_AFTER = int(os.environ.get("TESSERA_WEBHOOK_DISABLE_AFTER", "15"))

    # Flask-AppBuilder
    AUTH_TYPE = 1  # AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_USER_REGISTRATION = False
    FAB_ROLES = FAB_ROLES
    FAB_ADD_SECURITY_VIEWS = True
    FAB_ADD_SECURITY_API = False
    FAB_API_SWAGGER_UI = True
    # Migrations own the schema; app.security.TesseraSecurityManager never creates tables,
    # it only makes sure the builtin roles exist once the migrations have run.
    FAB_CREATE_DB = True
    FAB_UPDATE_PERMS = _env_bool("FAB_UPDATE_PERMS", True)
    FAB_BASE_TEMPLATE = "tessera/base.html"
    FAB_INDEX_VIEW = "app.views.home.HomeView"
    APP_THEME = ""
    # The UI's languages (app/translations; `make messages` after adding strings): a user picks
    # one in the navbar (kept in the session), else the browser's Accept-Language decides.
    LANGUAGES = {"en": {"flag": "gb", "name": "English"}, "zh": {"flag": "cn", "name": "中文"}}
    BABEL_DEFAULT_LOCALE = "en"

    # Security headers (app.headers): the page Content-Security-Policy ({nonce} is filled in per
    # request; empty = the strict built-in policy), and report-only mode for trying a policy.
    TESSERA_CSP = os.environ.get("TESSERA_CSP") or None
    TESSERA_CSP_REPORT_ONLY = _env_bool("TESSERA_CSP_REPORT_ONLY", False)

    # A page on another site never sends the session cookie with its POSTs (cross-site form
    # posts to the API are refused by the CSRF check as well).
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"

    # Flask-WTF
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None

    # Login throttling (app.auth.throttle): failed sign-ins through /login/ and
    # POST /api/v1/security/login are counted per client address and per username; past
    # either limit, attempts answer 429 until the window ends. The counters live in
    # Flask-Limiter's storage: memory:// for one process, a redis:// URI with several.
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    TESSERA_LOGIN_LIMIT_PER_ADDRESS = os.environ.get(
        "TESSERA_LOGIN_LIMIT_PER_ADDRESS", "10 per minute"
    )
    TESSERA_LOGIN_LIMIT_PER_USERNAME = os.environ.get(
        "TESSERA_LOGIN_LIMIT_PER_USERNAME", "5 per minute"
    )

    # Password policy (app.auth.passwords) for passwords people set: FAB's user add and
    # reset-password forms, and `flask tessera create-admin`. A minimum length, and no
    # password from the shipped list of common ones.
    FAB_PASSWORD_COMPLEXITY_ENABLED = _env_bool("TESSERA_PASSWORD_POLICY", True)
    TESSERA_PASSWORD_MIN_LENGTH = int(os.environ.get("TESSERA_PASSWORD_MIN_LENGTH", "12"))

    # Chasing a ticket (催单, app.tickets.chase): seconds before the same person may chase the
    # same ticket again.
    TESSERA_CHASE_INTERVAL = int(os.environ.get("TESSERA_CHASE_INTERVAL", "600"))

    # Tickets `flask tessera demo` opens into a desk that has none yet (0: none).
    TESSERA_DEMO_TICKETS = int(os.environ.get("TESSERA_DEMO_TICKETS", "200"))



class ProductionConfig(Config):
    """Production: secret key and database must come from the environment."""

    TESSERA_ENV = "production"
    # No embedded SQLite fallback: create_app refuses to start without DATABASE_URL.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or None
    FAB_UPDATE_PERMS = _env_bool("FAB_UPDATE_PERMS", False)
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)


class TestConfig(Config):
    """Base for the test suite; the fixtures set the database URL per backend."""

    TESTING = True
    TESSERA_ENV = "test"
    SECRET_KEY = secrets.token_hex(32)
    REDIS_URL = os.environ.get("TESSERA_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    WTF_CSRF_ENABLED = False
    # Off for the suite at large (its users sign in and set passwords freely); the tests of
    # login throttling and of the password policy build apps with them on.
    RATELIMIT_ENABLED = False
    FAB_PASSWORD_COMPLEXITY_ENABLED = False
    # The suite's desk starts empty: tests open the tickets they count.
    TESSERA_DEMO_TICKETS = 0


def config_from_env() -> type[Config]:
    """The config class TESSERA_ENV names: `production` or the embedded default.

    A subclass is returned so callers may adjust it without touching the shared class.
    """
    base = ProductionConfig if os.environ.get("TESSERA_ENV") == "production" else Config
    return type(base.__name__, (base,), {})
