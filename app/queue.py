"""Redis and RQ access for the web app: connections, queues, and a cached health check."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue


def redis_connection(app: Flask | None = None) -> Redis:
    """A Redis client for the app's REDIS_URL, built once per app."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    client = app.extensions.get("tessera_redis")
    if client is None:
        timeout = app.config["REDIS_HEALTH_TIMEOUT"]
        client = Redis.from_url(
            app.config["REDIS_URL"],
            socket_connect_timeout=max(timeout, 1.0),
            socket_timeout=5.0,
            health_check_interval=30,
        )
        app.extensions["tessera_redis"] = client
    return client


def queues(app: Flask | None = None) -> list[Queue]:
    """The RQ queues named in RQ_QUEUES, highest priority first."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    connection = redis_connection(app)
    return [Queue(name, connection=connection) for name in app.config["RQ_QUEUES"]]


@dataclass
class _Health:
    checked_at: float = 0.0
    online: bool = True
    error: str = ""


_lock = threading.Lock()


def queue_online(app: Flask | None = None) -> tuple[bool, str]:
    """Whether Redis answers a PING; cached for REDIS_HEALTH_TTL seconds per process."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    health: _Health = app.extensions.setdefault("tessera_redis_health", _Health())
    now = time.monotonic()
    with _lock:
        if health.checked_at and now - health.checked_at < app.config["REDIS_HEALTH_TTL"]:
            return health.online, health.error
        health.checked_at = now
    probe = Redis.from_url(
        app.config["REDIS_URL"],
        socket_connect_timeout=app.config["REDIS_HEALTH_TIMEOUT"],
        socket_timeout=app.config["REDIS_HEALTH_TIMEOUT"],
    )
    try:
        probe.ping()
        health.online, health.error = True, ""
    except (RedisError, OSError) as exc:
        health.online, health.error = False, str(exc) or exc.__class__.__name__
    finally:
        probe.close()
    return health.online, health.error
