"""Tessera: the Flask application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from config import BASE_DIR, Config, instance_path, load_or_create_secret_key


def create_app(config_class: type[Config] = Config) -> Flask:
    """Build a Tessera app: config, database, CSRF, FAB console, /ops, CLI."""
    from flask_appbuilder import AppBuilder

    from app import fab_patches
    from app.api import register_api
    from app.cli import register_cli
    from app.extensions import csrf, db, migrate
    from app.ops import init_ops
    from app.routing import install as install_converters
    from app.security import TesseraSecurityManager, schema_ready
    from app.tables import metadata
    from app.tickets.indexing import init_app as init_indexing
    from app.views import register_views
    from app.web import register_web

    fab_patches.apply()
    app = Flask(__name__, instance_path=str(instance_path()))
    install_converters(app.url_map)  # before any route: ids beyond 32 bits answer 404
    app.config.from_object(config_class)
    # JSON answers keep their objects' order: a definition's `properties` order is its form's.
    app.json.sort_keys = False  # type: ignore[attr-defined]
    _ensure_secret_key(app)  # and, in production, DATABASE_URL
    # FAB's ModelView download route reads UPLOAD_FOLDER; keep it inside instance/.
    app.config.setdefault("UPLOAD_FOLDER", str(Path(app.instance_path) / "uploads"))

    _trust_proxies(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    # CSRF before FAB: FAB exempts its API blueprints only when CSRFProtect is already there
    # (otherwise /api/v1/security/login answers 400 "CSRF token missing").
    csrf.init_app(app)
    metadata()  # every model module imported: relationships between them resolve
    with app.app_context():
        # Before the first migration the permission tables do not exist: skip the sync.
        update_perms = app.config["FAB_UPDATE_PERMS"] and schema_ready(db.engine)
        appbuilder = AppBuilder(
            security_manager_class=TesseraSecurityManager, update_perms=update_perms
        )
        appbuilder.init_app(app, db.session)
        register_views(appbuilder)
        register_api(appbuilder)
    init_ops(app)
    register_web(app)
    register_cli(app)
    init_indexing(app)
    _install_outbox()
    return app


def _install_outbox() -> None:
    """Session hooks: ticket events become outbox messages, committed messages become jobs."""
    from app.jobs.topics import load
    from app.outbox.dispatch import install
    from app.tickets import followups

    followups.install()
    install()
    load()


def _trust_proxies(app: Flask) -> None:
    """Read the client's address from X-Forwarded-* when the app sits behind N proxies."""
    count = int(app.config.get("TESSERA_PROXY_COUNT") or 0)
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count
        )


def _ensure_secret_key(app: Flask) -> None:
    production = app.config.get("TESSERA_ENV") == "production"
    if production and not app.config.get("SQLALCHEMY_DATABASE_URI"):
        raise RuntimeError(
            "DATABASE_URL must be set in the environment in production "
            "(e.g. postgresql+psycopg://user:password@host/tessera)."
        )
    if app.config.get("SECRET_KEY"):
        return
    if production:
        raise RuntimeError("SECRET_KEY must be set in the environment in production.")
    app.config["SECRET_KEY"] = load_or_create_secret_key(Path(app.instance_path))
