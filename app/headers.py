"""Security headers on every response: a nonce-based CSP for pages, no framing, no sniffing.

HTML pages get `PAGE_POLICY`: scripts only from this origin or inline with the request's
nonce (`csp_nonce()`, a Jinja global; Flask-AppBuilder's `baselib.get_nonce()` and
Flask-Admin's `admin_csp_nonce_attribute` both read it). Everything else (API JSON, static
files) gets `OTHER_POLICY`, which runs nothing. A response that already carries its own
policy, such as an attachment download, keeps it.

Settings: `TESSERA_CSP` replaces the page policy (`{nonce}` stands for the request's nonce);
`TESSERA_CSP_REPORT_ONLY` sends the page policy as `Content-Security-Policy-Report-Only`
(browsers then only report; `X-Frame-Options` still refuses framing).
"""

from __future__ import annotations

import secrets

from flask import Flask, current_app, has_request_context, request
from flask.wrappers import Response

NONCE_KEY = "tessera.csp_nonce"
NONCE_PLACEHOLDER = "{nonce}"

# 'unsafe-inline' for styles only: Flask-AppBuilder's templates (login, show and edit pages)
# and ours carry style="..." attributes. Scripts never run inline without the nonce.
PAGE_POLICY = "; ".join(
    (
        "default-src 'self'",
        f"script-src 'self' 'nonce-{NONCE_PLACEHOLDER}'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# JSON, scripts, stylesheets, images: nothing in them is meant to run or be framed.
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"

FIXED_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
CSP = "Content-Security-Policy"
CSP_REPORT_ONLY = "Content-Security-Policy-Report-Only"


def csp_nonce() -> str:
    """This request's script nonce: random, made on first use, the same for the whole request."""
    if not has_request_context():
        return ""
    # Kept in the WSGI environ, not in `g`: `g` outlives the request when a caller has
    # pushed an app context of its own, and a nonce must never be reused.
    nonce = request.environ.get(NONCE_KEY)
    if nonce is None:
        nonce = request.environ[NONCE_KEY] = secrets.token_urlsafe(18)
    return str(nonce)


def page_policy(nonce: str) -> str:
    """The policy for an HTML page rendered with `nonce`."""
    template = current_app.config.get("TESSERA_CSP") or PAGE_POLICY
    return str(template).replace(NONCE_PLACEHOLDER, nonce)


def _add_security_headers(response: Response) -> Response:
    for name, value in FIXED_HEADERS.items():
        response.headers.setdefault(name, value)
    if CSP in response.headers or CSP_REPORT_ONLY in response.headers:
        return response  # the view chose its own policy (attachment downloads)
    if response.mimetype != "text/html":
        response.headers[CSP] = OTHER_POLICY
        return response
    name = CSP_REPORT_ONLY if current_app.config.get("TESSERA_CSP_REPORT_ONLY") else CSP
    response.headers[name] = page_policy(csp_nonce())
    return response


def init_headers(app: Flask) -> None:
    """Send the headers on every response and hand the nonce to Jinja and to Flask-Admin."""
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    # Flask-Admin nonces its inline scripts only when its Admin has a generator.
    for admin in app.extensions.get("admin", []):
        if getattr(admin, "csp_nonce_generator", None) is None:
            admin.csp_nonce_generator = csp_nonce
    app.after_request(_add_security_headers)
