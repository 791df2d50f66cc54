"""/ops: queues, failed jobs with requeue, raw tables; offline Redis never breaks pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pytest_redis import factories
from redis import Redis
from rq import Queue, SimpleWorker
from rq.registry import FailedJobRegistry

private_redis = factories.redis_proc(port=None)


def test_ops_index_lists_queues(client_as: Callable[[str], FlaskClient]) -> None:
    html = client_as("admin").get("/ops/").get_data(as_text=True)
    for queue in ("high", "default", "low"):
        assert f"<td>{queue}</td>" in html
    command = "<code>flask --app run tessera worker</code>"
    assert f"No worker is running: start one with {command}." in html


def test_failed_job_is_listed_and_requeued(
    client_as: Callable[[str], FlaskClient], redis_conn: Redis
) -> None:
    queue = Queue("default", connection=redis_conn)
    job = queue.enqueue("tests.app.jobfixtures.explode", "printer on fire")
    SimpleWorker([queue], connection=redis_conn).work(burst=True)
    assert job.id in FailedJobRegistry(queue=queue)

    admin = client_as("admin")
    html = admin.get("/ops/failed/").get_data(as_text=True)
    assert job.id in html
    assert "RuntimeError: printer on fire" in html

    assert admin.post("/ops/failed/requeue", data={"job_id": job.id}).status_code == 302
    assert job.id not in FailedJobRegistry(queue=queue)
    assert job.id in queue.job_ids


def test_raw_tables_show_demo_departments(client_as: Callable[[str], FlaskClient]) -> None:
    html = client_as("admin").get("/ops/tables/department/").get_data(as_text=True)
    assert "Technical Support (技术支持)" in html


@pytest.mark.parametrize("role", ["agent", "head"])
def test_non_admins_get_403(client_as: Callable[[str], FlaskClient], role: str) -> None:
    assert client_as(role).get("/ops/").status_code == 403


def test_anonymous_is_sent_to_login(client_as: Callable[[str], FlaskClient]) -> None:
    response = client_as("anonymous").get("/ops/failed/")
    assert response.status_code == 302
    assert "/login/" in response.headers["Location"]


@pytest.fixture
def redis_that_dies(app: Flask, private_redis) -> Iterator[Callable[[], None]]:  # type: ignore[no-untyped-def]
    """Point the app at a private redis-server; calling the fixture's value stops it."""
    if not private_redis.running():  # the process fixture is per session; restart it
        private_redis.start()
    saved = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = f"redis://{private_redis.host}:{private_redis.port}/0"
    app.extensions.pop("tessera_redis", None)
    app.extensions.pop("tessera_redis_health", None)

    def stop() -> None:
        private_redis.stop()
        app.extensions.pop("tessera_redis_health", None)

    yield stop
    app.config["REDIS_URL"] = saved
    app.extensions.pop("tessera_redis", None)
    app.extensions.pop("tessera_redis_health", None)


def test_redis_down_shows_warning_to_admins_only(
    client_as: Callable[[str], FlaskClient], redis_that_dies: Callable[[], None]
) -> None:
    admin = client_as("admin")
    assert 'id="queue-offline"' not in admin.get("/").get_data(as_text=True)
    redis_that_dies()
    page = admin.get("/")
    assert page.status_code == 200
    assert "Job queue offline" in page.get_data(as_text=True)
    agent_page = client_as("agent").get("/team/")
    assert agent_page.status_code == 200
    assert "Job queue offline" not in agent_page.get_data(as_text=True)
    for path in ("/ops/", "/ops/failed/"):
        ops = admin.get(path)
        assert ops.status_code == 200
        assert "Job queue offline" in ops.get_data(as_text=True)


def test_definitions_are_read_only_in_ops(
    app: Flask, client_as: Callable[[str], FlaskClient]
) -> None:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Definition

    with app.app_context():
        row = db.session.scalars(select(Definition).where(Definition.status == "published")).first()
        assert row is not None
        row_id, body = row.id, row.body
    admin = client_as("admin")
    assert admin.post("/ops/tables/definition/delete/", data={"id": row_id}).status_code == 302
    assert (
        admin.post(f"/ops/tables/definition/edit/?id={row_id}", data={"title": "x"}).status_code
        == 302
    )
    with app.app_context():
        again = db.session.get(Definition, row_id)
        assert again is not None and again.body == body and again.title != "x"
