"""Request-level glue: template globals, security headers and error pages shared by every view."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import unquote, urlsplit

import pytz
from flask import (
    Flask,
    current_app,
    g,
    has_request_context,
    jsonify,
    make_response,
    render_template,
    request,
    session,
)
from flask.wrappers import Response
from flask_babel import get_babel, get_locale, get_translations
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from app.headers import init_headers
from app.queue import queue_online
from app.security import ROLE_ADMIN
from app.tickets.display import priority_label
from app.views.display import minute, zone_name

# Seconds an admin page reuses the outbox age read by an earlier page of the same process:
# small beside TESSERA_OUTBOX_BANNER_SECONDS (5 minutes), the lateness the banner is about.
OUTBOX_AGE_TTL = 30.0
OUTBOX_AGE_KEY = "tessera_outbox_age"
# The browser's IANA time zone, written by static/tessera/timezone.js; pages show times in it.
ZONE_COOKIE = "tessera_tz"


def _outbox_age() -> float | None:
    """The oldest unsent outbox message's age, read at most once per OUTBOX_AGE_TTL per process.

    A reused reading is aged by the time since it was read; a message sent meanwhile keeps
    the banner up until the next reading, at most OUTBOX_AGE_TTL seconds later.
    """
    from app.extensions import db
    from app.outbox import oldest_unsent_age

    now = time.monotonic()
    held = current_app.extensions.get(OUTBOX_AGE_KEY)
    if held is not None and now - held[0] < OUTBOX_AGE_TTL:
        return None if held[1] is None else held[1] + (now - held[0])
    age = oldest_unsent_age(db.session)
    current_app.extensions[OUTBOX_AGE_KEY] = (now, age)
    return age


def _queue_banner() -> dict[str, Any]:
    user = g.get("user")
    if user is None or not user.is_authenticated:
        return {}
    if ROLE_ADMIN not in {role.name for role in user.roles}:
        return {}
    online, error = queue_online()
    found: dict[str, Any] = {}
    if not online:
        url = current_app.config["REDIS_URL"].rsplit("@", 1)[-1]  # never show a password
        found["tessera_queue_offline"] = {"url": url, "error": error}
    age = _outbox_age()
    if age is not None and age > current_app.config["TESSERA_OUTBOX_BANNER_SECONDS"]:
        found["tessera_outbox_late"] = {"minutes": int(age // 60)}
    return found


# Statuses whose HTML answers are pages of the app's layout, one template each
# (templates/tessera/errors/<code>.html); other errors keep Werkzeug's page.
ERROR_PAGES = frozenset({403, 404, 405, 409, 413, 500})
# What a 500 answers when the layout itself fails (the database down, say): plain HTML.
FALLBACK_PAGE = "templates/tessera/errors/fallback.html"
FAVICON = "tessera/favicon.svg"

logger = logging.getLogger(__name__)


def _with_headers_of(exc: HTTPException, response: BaseResponse) -> BaseResponse:
    """`response` with the headers of the error's own answer (`Allow` of a 405, `Retry-After`)."""
    for name, value in exc.get_response().headers.items():
        if name.lower() not in ("content-type", "content-length"):
            response.headers.add(name, value)
    return response


def _api_errors_as_json(exc: HTTPException) -> Any:
    """Errors under /api/ answer JSON; pages of ERROR_PAGES render in the layout.

    Other statuses (redirects of the router, 400s...) keep Werkzeug's answer. Every answer
    keeps the headers of the error's own.
    """
    if request.path.startswith("/api/"):
        response = jsonify({"message": exc.description, "status": exc.code})
        return _with_headers_of(exc, response), exc.code
    if exc.code in ERROR_PAGES:
        return _error_page(exc)
    return exc


def _error_page(exc: HTTPException) -> BaseResponse:
    """The error's page in the layout; when the layout fails, a page that needs nothing.

    A 500 falls back to FALLBACK_PAGE; another status to Werkzeug's own page of it.
    """
    code = exc.code or 500
    if code == 500:
        _rollback()  # the failed request may have left the session unusable for the navbar
    try:
        html = render_template(f"tessera/errors/{code}.html", **_error_context(exc))
    except Exception:
        logger.exception("The %s page could not be rendered in the layout.", code)
        _rollback()
        if code != 500:
            return exc.get_response()
        with current_app.open_resource(FALLBACK_PAGE) as page:
            html = page.read()
    return _with_headers_of(exc, make_response(html, code))


def _error_context(exc: HTTPException) -> dict[str, Any]:
    appbuilder = current_app.extensions["appbuilder"]
    if g.get("user") is None:
        # Raised before Flask-AppBuilder's before-request (CSRF reading a too large form):
        # the navbar reads `g.user` as the other pages do.
        g.user = current_user
    return {
        "base_template": appbuilder.base_template,
        "appbuilder": appbuilder,
        "code": exc.code,
        "detail": _detail(exc),
        "home": appbuilder.get_url_for_index,
        "back": _same_site_referrer(),
    }


def _detail(exc: HTTPException) -> str | None:
    """What the error says beyond its status's own description (`abort(409, "...")`)."""
    description = exc.description
    return description if description and description != type(exc).description else None


def _same_site_referrer() -> str | None:
    """The page of this site the user came from (not this one), for a "Back" link."""
    referrer = request.referrer
    if not referrer or referrer == request.url:
        return None
    parts = urlsplit(referrer)
    if parts.scheme not in ("http", "https") or parts.netloc != request.host:
        return None
    return referrer


def _rollback() -> None:
    """End the request's transaction; a database that cannot even do that is left be."""
    from app.extensions import db

    try:
        db.session.rollback()
    except Exception:
        logger.warning("Rolling back before an error page failed.", exc_info=True)


def _favicon() -> Response:
    """/favicon.ico, for clients that ask without reading the layout's `<link rel="icon">`."""
    return current_app.send_static_file(FAVICON)


def browser_timezone() -> str | None:
    """The zone the browser reported (cookie `tessera_tz`) when it is a known IANA name.

    Flask-Babel's time zone selector: None leaves BABEL_DEFAULT_TIMEZONE (no cookie yet, no
    JavaScript, or a name this server does not know).
    """
    name = unquote(request.cookies.get(ZONE_COOKIE, ""))  # the script percent-encodes "/"
    return name if name in pytz.all_timezones_set else None


def request_locale() -> str | None:
    """Flask-Babel's locale selector: the language the user chose (`/lang/<code>`, kept in the
    session), else the browser's best match among LANGUAGES (`zh-CN` matches `zh`), else None
    (BABEL_DEFAULT_LOCALE). Outside a request (jobs, mail, the CLI): None."""
    if not has_request_context():
        return None
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return str(chosen)
    return request.accept_languages.best_match(list(languages))


def current_language() -> str:
    """The page's language code, for the language menu and `<html lang>`."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def request_translations() -> Any:
    """The request's gettext catalogue, looked up once per request.

    Flask-Babel looks it up on every call (locale selector and cache included): a list page's
    template makes some 500 calls, and that lookup was a third of its time. The locale does
    not change within a request (switching it is a request of its own), so one is enough.
    """
    if not has_request_context():
        return get_translations()
    found = g.get("tessera_translations")
    if found is None:
        found = g.tessera_translations = get_translations()
    return found


def _install_gettext(app: Flask) -> None:
    """The templates' `_()` / `gettext` / `ngettext`, as Flask-Babel installs them but with
    the request's catalogue looked up once."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )


def register_web(app: Flask) -> None:
    """Attach the context processor, the security headers, the error pages and the icon.

    Flask-AppBuilder made the Babel instance; its time zone becomes the browser's.
    """
    babel = get_babel(app)
    babel.timezone_selector = browser_timezone
    babel.locale_selector = request_locale
    _install_gettext(app)
    app.context_processor(_queue_banner)
    app.add_template_filter(minute)
    app.add_template_filter(priority_label)
    app.add_template_global(zone_name)
    app.add_template_global(current_language)
    init_headers(app)
    app.register_error_handler(HTTPException, _api_errors_as_json)
    app.add_url_rule("/favicon.ico", "favicon", _favicon)
