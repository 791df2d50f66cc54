"""The job runtime end to end: raw RQ, commit → notified through the API, burst throughput,
worker memory and the automation sweep, in one run. Not a timed test.

    .venv/bin/python bench/jobs_bench.py [--rate 100] [--seconds 60] [--burst 1000]
        [--sweep-tickets 10000] [--workers 2] [--fork]
    .venv/bin/python bench/jobs_bench.py --seconds 5 --burst 300 --sweep-tickets 2000  # smoke

Run it from the repository root (the raw RQ workers import `bench.jobs_bench`). It builds its
own PostgreSQL database `tessera_jobs_bench` (dropped and created; admin DSN from
TESSERA_BENCH_PG) through the migrations and the demo data, adds a department of 8 agents of
unlimited capacity and publishes a workflow (round robin, so every ticket gets an assignee;
one trigger: `notify` the assignee on `ticket.created`) with a template that follows it. Redis
is the database of TESSERA_BENCH_REDIS (default redis://127.0.0.1:6379/10), flushed before and
after. Phases:

1. raw RQ: a no-op job (`noop` below) enqueued one at a time, 2 plain RQ workers listening;
2. tickets POSTed to /api/v1/tickets/ (JWT from /api/v1/security/login) served by
   `gunicorn -c python:app.gunicorn_conf -w 4 run:app`, with N `tessera worker -q high -q
   default` processes and a mail sink for the e-mails `notify` writes: first a few per second
   (below saturation), then a steady `--rate` for `--seconds` (what the server cannot take in
   that time is not sent). Commit → notified is `notification.created_at - ticket.created_at`,
   both read from the database, split into stages with the RQ job's timestamps;
3. burst: tickets as fast as 8 threads can send them; created/s and notified/s;
4. worker memory: peak RSS of each worker process and its children, sampled every 0.1 s;
5. automation sweep: open tickets copied in bulk, pinned to a workflow with one automation due
   for all of them (`set_priority`), `app.tickets.automations.sweep` timed in this process.

Every process it starts is stopped at the end, the database dropped and the Redis database
flushed, also after an error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import http.client
import importlib
import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ADMIN_DSN = os.environ.get("TESSERA_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TESSERA_BENCH_REDIS", "redis://127.0.0.1:6379/10")
DB_NAME = "tessera_jobs_bench"
RAW_QUEUE = "jobs_bench_raw"
NOOP = "bench.jobs_bench.noop"
DEPARTMENT = "jobs_bench"
WORKFLOW = "jobs_bench"
TEMPLATE = "jobs_bench"
AUTO = "jobs_bench_auto"  # the workflow and template of the automation sweep
AGENTS = 8
CAPACITY = 10_000_000  # never at capacity: every ticket is assigned
LOGIN = ("admin", "admin")  # a demo login
SECRET_KEY = "jobs-bench-" + "k" * 48
PASSWORD = "correct horse battery staple"

GOAL_RATIO = 3.0
GOAL_P99_MS = 100.0
GOAL_RSS_MB = 150.0
GOAL_SWEEP_PER_RUN = 10_000

STATES = [
    {"name": "new", "category": "new"},
    {"name": "open", "category": "open"},
    {"name": "solved", "category": "solved"},
    {"name": "closed", "category": "closed"},
]
TRANSITIONS = [
    {"name": "start", "from": ["new"], "to": "open", "roles": ["agent"]},
    {"name": "solve", "from": ["new", "open"], "to": "solved", "roles": ["agent"]},
    {"name": "reopen", "from": ["solved"], "to": "open", "roles": ["agent"]},
    {"name": "close", "from": ["solved"], "to": "closed", "roles": ["agent"]},
]
NOTIFY_TRIGGER = {
    "name": "tell_assignee",
    "on": ["ticket.created"],
    "actions": [{"type": "notify", "to": ["assignee"]}],
}
STALE_AUTOMATION = {
    "name": "raise_stale",
    "after": "PT1H",
    "since": "created",
    "actions": [{"type": "set_priority", "priority": "high"}],
}
SCHEMA = {
    "type": "object",
    "title": "Jobs bench",
    "properties": {
        "summary": {"type": "string", "minLength": 3, "maxLength": 200, "title": "Summary"},
        "description": {"type": "string", "maxLength": 2000, "title": "Description"},
    },
    "required": ["summary"],
}


def noop() -> None:
    """The raw RQ job: does nothing (this module is imported before the work horses fork)."""


# ---------------------------------------------------------------------------------------------
# Figures


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(delta: timedelta) -> float:
    return delta.total_seconds() * 1000


@dataclass
class Table:
    """Rows of (measure, median, p95, p99, goal, verdict), printed aligned."""

    rows: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)

    def spread(self, name: str, values: Sequence[float], unit: str = "ms", goal: str = "",
               verdict: str = "") -> None:
        if not values:
            self.rows.append((name, "-", "-", "-", goal, "no data"))
            return
        cells = [f"{percentile(values, p):.1f} {unit}" for p in (50, 95, 99)]
        self.rows.append((name, *cells, goal, verdict))  # type: ignore[arg-type]

    def value(self, name: str, value: str, goal: str = "", verdict: str = "") -> None:
        self.rows.append((name, value, "", "", goal, verdict))

    def print(self) -> None:
        head = ("measure", "median", "p95", "p99", "goal", "")
        widths = [max(len(r[i]) for r in [head, *self.rows]) for i in range(6)]
        for row in [head, *self.rows]:
            cells = [row[0].ljust(widths[0])]
            cells += [row[i].rjust(widths[i]) for i in (1, 2, 3)]
            cells += [row[4].ljust(widths[4]), row[5]]
            print("  ".join(cells).rstrip())


def verdict(ok: bool) -> str:
    return "ok" if ok else "NOT MET"


# ---------------------------------------------------------------------------------------------
# Processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Processes:
    """The processes this run started, by name; `stop` ends them (SIGTERM, then SIGKILL)."""

    logs: Path
    env: dict[str, str]
    running: list[tuple[str, subprocess.Popen[bytes], IO[bytes]]] = field(default_factory=list)

    def start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.running.append((name, process, log))
        return process

    def stop(self, prefix: str = "") -> None:
        """Stop the processes whose name starts with `prefix` (all by default), newest first."""
        chosen = [entry for entry in self.running if entry[0].startswith(prefix)]
        for _, process, _ in reversed(chosen):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process, log in reversed(chosen):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print(f"  {name} (pid {process.pid}) did not stop in 30 s: killed")
                process.kill()
                process.wait()
            log.close()
            self.running.remove((name, process, log))

    def check(self) -> None:
        """Raise when a process this run started has exited."""
        for name, process, _ in self.running:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {process.returncode}; see {self.logs / name}.log"
                )


def rq_worker_main(queue: str) -> None:
    """A plain RQ worker on `queue` of REDIS_URL, with this module imported before it forks."""
    from redis import Redis
    from rq import Queue, Worker

    importlib.import_module("bench.jobs_bench")  # where `noop` lives, as the job names it
    connection = Redis.from_url(REDIS_URL)
    Worker([Queue(queue, connection=connection)], connection=connection).work()


def wait_for(what: str, predicate: Any, timeout: float, processes: Processes) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check()
        if predicate():
            return
        time.sleep(0.2)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")


def worker_count(redis: Any) -> int:
    from rq import Worker

    return len(Worker.all(connection=redis))


# ---------------------------------------------------------------------------------------------
# Memory of the workers


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process in kB (empty once it has exited)."""
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    name, value = line.split(":", 1)
                    found[name] = int(value.split()[0])
    except (FileNotFoundError, ProcessLookupError):
        return {}
    return found


def _descendants(roots: Sequence[int]) -> dict[int, int]:
    """{pid: the root it descends from} for every live descendant of `roots`."""
    parent: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        parent[int(entry.name)] = int(fields[1])
    found: dict[int, int] = {}
    for pid in parent:
        ancestor = parent.get(pid)
        for _ in range(8):
            if ancestor is None:
                break
            if ancestor in roots:
                found[pid] = ancestor
                break
            ancestor = parent.get(ancestor)
    return found


class RssSampler(threading.Thread):
    """Peak VmRSS of each worker process and of its children (work horses, the scheduler)."""

    def __init__(self, roots: Sequence[int], interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.roots = list(roots)
        self.interval = interval
        self.stopping = threading.Event()
        self.main_kb: dict[int, int] = dict.fromkeys(self.roots, 0)
        self.child_kb: dict[int, int] = dict.fromkeys(self.roots, 0)
        self.children_seen: set[int] = set()
        self.samples = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            for pid in self.roots:
                rss = _status(pid).get("VmRSS", 0)
                self.main_kb[pid] = max(self.main_kb[pid], rss)
            for pid, root in _descendants(self.roots).items():
                self.children_seen.add(pid)
                rss = _status(pid).get("VmRSS", 0)
                self.child_kb[root] = max(self.child_kb[root], rss)
            self.samples += 1
            self.stopping.wait(self.interval)

    def high_water_kb(self) -> dict[int, int]:
        """VmHWM of each worker process now (call before stopping them)."""
        return {pid: _status(pid).get("VmHWM", 0) for pid in self.roots}


# ---------------------------------------------------------------------------------------------
# Database and definitions


def database_url() -> str:
    base = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{DB_NAME}"


def psycopg_dsn() -> str:
    return f"{ADMIN_DSN.rsplit('/', 1)[0]}/{DB_NAME}"


def drop_database() -> None:
    import psycopg

    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def build_app(url: str, update_perms: bool = False) -> Any:
    from app import create_app
    from config import Config

    attrs = {
        "SQLALCHEMY_DATABASE_URI": url,
        "REDIS_URL": REDIS_URL,
        "FAB_UPDATE_PERMS": update_perms,
        "SECRET_KEY": SECRET_KEY,
        "TESTING": True,
    }
    return create_app(type("JobsBenchConfig", (Config,), attrs))


def build_schema(tmp: Path) -> Any:
    """Drop and create the database, run the migrations, sync roles, load the demo data; the
    app (permissions left alone) the rest of the run uses in this process."""
    import psycopg
    from flask_migrate import upgrade

    from app.demo import load_demo
    from app.extensions import db

    drop_database()
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    os.environ["TESSERA_INSTANCE_PATH"] = str(tmp)
    app = build_app(database_url())
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    with_perms = build_app(database_url(), update_perms=True)
    with with_perms.app_context():
        with_perms.appbuilder.add_permissions(update_perms=True)
        load_demo()
        db.session.remove()
        db.engine.dispose()
    return build_app(database_url())


def publish(kind: str, key: str, body: dict[str, Any]) -> None:
    from app.definitions import store

    row = store.save_draft(kind, key, {"key": key, **body}, actor_id=None)
    store.publish(row.id, None, approved_by_import=kind == "workflow")


def publish_pair(key: str, **workflow: Any) -> None:
    """A workflow `key` and a template `key` that follows it, both published (v1)."""
    publish("workflow", key, {
        "title": f"Bench {key}", "states": STATES, "initial": "new",
        "transitions": TRANSITIONS, **workflow,
    })
    publish("template", key, {
        "title": f"Bench {key}", "schema": SCHEMA,
        "settings": {"subject": "/summary", "default_department": DEPARTMENT, "workflow": key},
    })


def prepare(app: Any) -> int:
    """The bench department, its agents and the notifying workflow; the department's id."""
    from app.extensions import db
    from app.models import Department, Membership
    from app.security import security_manager

    with app.app_context():
        department = Department(key=DEPARTMENT, name="Jobs bench", description="Benchmark")
        db.session.add(department)
        db.session.commit()
        sm = security_manager()
        role = sm.find_role("Agent")
        for n in range(AGENTS):
            name = f"jobsbench{n}"
            user = sm.add_user(name, "Bench", f"Agent {n}", f"{name}@example.test", role,
                               password=PASSWORD)
            if not user:
                raise RuntimeError(f"could not create the bench agent {name}")
            db.session.add(
                Membership(user_id=user.id, department_id=department.id, capacity=CAPACITY)
            )
        db.session.commit()
        publish_pair(WORKFLOW, routing={"strategy": "round_robin"}, triggers=[NOTIFY_TRIGGER])
        department_id = int(department.id)
        db.session.remove()
        db.engine.dispose()
    return department_id


# ---------------------------------------------------------------------------------------------
# Phase 1: raw RQ


def raw_round_trips(redis: Any, runs: int, warmup: int = 20) -> tuple[list[float], list[float]]:
    """(enqueue → the job's ended_at, enqueue → the result seen by the client) in ms."""
    from rq import Queue

    queue = Queue(RAW_QUEUE, connection=redis)
    finished: list[float] = []
    observed: list[float] = []
    for run in range(runs + warmup):
        sent = datetime.now(UTC)
        started = time.perf_counter()
        job = queue.enqueue(NOOP, result_ttl=600)
        if job.latest_result(timeout=30) is None:
            raise RuntimeError(f"raw job {job.id} did not finish in 30 s")
        seen = time.perf_counter()
        job.refresh()
        if run >= warmup and job.ended_at is not None:
            finished.append(ms(job.ended_at - sent))
            observed.append((seen - started) * 1000)
    return finished, observed


# ---------------------------------------------------------------------------------------------
# Phases 2 and 3: tickets through the API


@dataclass(frozen=True)
class Sent:
    """One POST: when it was due and sent (perf_counter), its answer time and result."""

    due: float
    sent: float
    answer_ms: float
    status: int
    ticket_id: int | None
    error: str = ""


def login(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"username": LOGIN[0], "password": LOGIN[1], "provider": "db"})
    conn.request("POST", "/api/v1/security/login", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"login answered {response.status}: {payload[:200]!r}")
    return str(json.loads(payload)["access_token"])


def try_login(port: int) -> bool:
    try:
        login(port)
    except (OSError, RuntimeError, http.client.HTTPException):
        return False
    return True


def post_tickets(port: int, token: str, total: int, rate: float | None, threads: int,
                 label: str) -> list[Sent]:
    """POST `total` tickets from `threads` threads, ticket i due at start + i / rate (None: as
    fast as they go). A late thread sends at once (lateness shows in `sent - due`); with a
    rate, nothing is sent after the last ticket's due time: what is left was not offered."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    counter = itertools.count()
    lock = threading.Lock()
    results: list[Sent] = []
    start = time.perf_counter() + 0.1

    end = start + total / rate if rate else float("inf")

    def send() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                index = next(counter)
            if index >= total or time.perf_counter() > end:
                break
            due = start + index / rate if rate else time.perf_counter()
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            body = json.dumps({
                "template": TEMPLATE,
                "data": {"summary": f"{label} ticket {index}", "description": "Printer jams."},
                "requester": {"name": "Bench Customer"},
            })
            sent = time.perf_counter()
            status, ticket_id, error = 0, None, ""
            try:
                conn.request("POST", "/api/v1/tickets/", body, headers)
                response = conn.getresponse()
                payload = response.read()
                status = response.status
                if status == 201:
                    ticket_id = int(json.loads(payload)["id"])
                else:
                    error = payload[:300].decode("utf-8", "replace")
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                error = f"{type(exc).__name__}: {exc}"
            answered = time.perf_counter()
            with lock:
                results.append(Sent(due, sent, (answered - sent) * 1000, status, ticket_id, error))
        conn.close()

    pool = [threading.Thread(target=send, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return results


def created_ids(sent: Sequence[Sent]) -> list[int]:
    return [s.ticket_id for s in sent if s.ticket_id is not None]


def report_errors(label: str, sent: Sequence[Sent]) -> int:
    failed = [s for s in sent if s.ticket_id is None]
    if failed:
        print(f"  {label}: {len(failed)} of {len(sent)} POSTs failed, e.g. "
              f"{failed[0].status} {failed[0].error[:200]}")
    return len(failed)


def notified_count(pg: Any, ids: Sequence[int]) -> int:
    row = pg.execute(
        "SELECT count(DISTINCT ticket_id) FROM notification WHERE ticket_id = ANY(%s)",
        (list(ids),),
    ).fetchone()
    return int(row[0])


def outbox_waiting(pg: Any) -> int:
    """Due outbox messages not done (index builds left out: no worker here takes `low`)."""
    row = pg.execute(
        "SELECT count(*) FROM outbox WHERE done_at IS NULL AND topic <> 'fields.reconcile' "
        "AND (run_at IS NULL OR run_at <= now())"
    ).fetchone()
    return int(row[0])


def wait_drained(pg: Any, timeout: float, processes: Processes) -> float:
    """Poll until no due outbox message is left; the seconds it took (inf at the deadline)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        processes.check()
        if outbox_waiting(pg) == 0:
            return time.monotonic() - started
        time.sleep(0.5)
    return float("inf")


def wait_notified(pg: Any, ids: Sequence[int], timeout: float, processes: Processes) -> bool:
    """Poll until every ticket of `ids` has a notification; False at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check()
        if notified_count(pg, ids) >= len(ids):
            return True
        time.sleep(0.25)
    return False


@dataclass
class Outcome:
    """What the database says about a set of tickets once their jobs ran."""

    tickets: int = 0
    assigned: int = 0
    once: int = 0  # exactly one notification
    missing: int = 0
    duplicated: int = 0
    latency_ms: list[float] = field(default_factory=list)
    first_created: datetime | None = None
    last_notified: datetime | None = None
    # Stages of commit → notified, ms: created → enqueued (request: commit + dispatch),
    # enqueued → job started (queue + dequeue + fork), started → notification row written.
    stages: dict[str, list[float]] = field(default_factory=dict)
    job_ms: list[float] = field(default_factory=list)  # RQ started_at → ended_at


QUERY = """
WITH n AS (
    SELECT ticket_id, count(*) AS rows, min(created_at) AS first
    FROM notification WHERE ticket_id = ANY(%(ids)s) GROUP BY ticket_id
)
SELECT t.id, t.created_at, t.assignee_id, coalesce(n.rows, 0), n.first, o.id
FROM ticket t
LEFT JOIN n ON n.ticket_id = t.id
LEFT JOIN outbox o ON o.ticket_id = t.id AND o.topic = 'ticket.events'
WHERE t.id = ANY(%(ids)s)
"""


def outcome(pg: Any, redis: Any, ids: Sequence[int]) -> Outcome:
    from rq.utils import utcparse

    rows = pg.execute(QUERY, {"ids": list(ids)}).fetchall()
    out = Outcome(tickets=len(rows))
    stages: dict[str, list[float]] = {
        "created → job enqueued (request: commit, dispatch)": [],
        "enqueued → job started (queue, dequeue, any fork)": [],
        "started → notification written (job)": [],
    }
    pipe = redis.pipeline(transaction=False)
    for row in rows:
        pipe.hmget(f"rq:job:outbox-{row[5]}", "enqueued_at", "started_at", "ended_at")
    jobs = pipe.execute()
    for (_, created, assignee, count, first, _), job in zip(rows, jobs, strict=True):
        out.assigned += assignee is not None
        out.once += count == 1
        out.missing += count == 0
        out.duplicated += count > 1
        out.first_created = min(filter(None, [out.first_created, created]))
        if first is None:
            continue
        out.latency_ms.append(ms(first - created))
        out.last_notified = max(filter(None, [out.last_notified, first]))
        if not all(job):  # not started or not ended yet (the job goes on after the row)
            continue
        enqueued, started, ended = (utcparse(v.decode()) for v in job)
        values = [ms(enqueued - created), ms(started - enqueued), ms(first - started)]
        for (_, series), value in zip(stages.items(), values, strict=True):
            series.append(value)
        out.job_ms.append(ms(ended - started))
    out.stages = stages
    return out


def mail_counts(pg: Any) -> tuple[int, int]:
    row = pg.execute("SELECT count(*), count(sent_at) FROM mail_message").fetchone()
    return int(row[0]), int(row[1])


# ---------------------------------------------------------------------------------------------
# Phase 5: the automation sweep


COPY_COLUMNS = (
    "number, template, template_version, workflow_key, workflow_version, subject, state, "
    "category, priority, department_id, requester_name, channel, data, created_at, "
    "updated_at, state_entered_at, lock_version"
)


def auto_rows(n: int, department_id: int, created: datetime) -> Iterator[tuple[Any, ...]]:
    for i in range(1, n + 1):
        at = created + timedelta(microseconds=i)
        yield (
            f"AU-{i:07d}", AUTO, 1, AUTO, 1, f"Stale ticket {i}", "open", "open", "normal",
            department_id, "Bench Customer", "api", json.dumps({"summary": f"Stale {i}"}),
            at, at, at, 1,
        )


def load_stale_tickets(n: int, department_id: int) -> float:
    """COPY n open tickets created two days ago, pinned to the automation's workflow; seconds."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(psycopg_dsn()) as pg, pg.cursor() as cur:
        created = datetime.now(UTC) - timedelta(days=2)
        with cur.copy(f"COPY ticket ({COPY_COLUMNS}) FROM STDIN") as copy:
            for row in auto_rows(n, department_id, created):
                copy.write_row(row)
    with psycopg.connect(psycopg_dsn(), autocommit=True) as pg:
        pg.execute("VACUUM (ANALYZE) ticket")
    return time.perf_counter() - started


@dataclass
class SweepResult:
    tickets: int
    matched: int
    actions: int
    seconds: float
    raised: int
    load_seconds: float
    jobs_enqueued: int


def sweep_phase(app: Any, redis: Any, n: int, department_id: int) -> SweepResult:
    from rq import Queue
    from sqlalchemy import func, select

    from app.clock import utcnow
    from app.extensions import db
    from app.jobs.topics import load
    from app.tickets.automations import sweep
    from app.tickets.models import Ticket

    with app.app_context():
        publish_pair(AUTO, routing={"strategy": "manual"}, automations=[STALE_AUTOMATION])
        db.session.remove()
    load_seconds = load_stale_tickets(n, department_id)
    before = Queue("high", connection=redis).count
    with app.app_context():
        load()
        started = time.perf_counter()
        swept = sweep(db.session, utcnow())
        seconds = time.perf_counter() - started
        raised = db.session.scalar(
            select(func.count()).where(Ticket.template == AUTO, Ticket.priority == "high")
        )
        db.session.remove()
        db.engine.dispose()
    return SweepResult(
        swept.tickets, swept.matched, swept.actions, seconds, int(raised or 0), load_seconds,
        Queue("high", connection=redis).count - before,
    )


# ---------------------------------------------------------------------------------------------
# The run


@dataclass
class Figures:
    raw_finished: list[float] = field(default_factory=list)
    raw_observed: list[float] = field(default_factory=list)
    sustained: list[Sent] = field(default_factory=list)
    offered: int = 0
    light: list[Sent] = field(default_factory=list)
    light_outcome: Outcome = field(default_factory=Outcome)
    sustained_drain_s: float = 0.0
    burst_jobs_done_s: float | None = None
    sustained_outcome: Outcome = field(default_factory=Outcome)
    sustained_drained: bool = True
    burst: list[Sent] = field(default_factory=list)
    burst_outcome: Outcome = field(default_factory=Outcome)
    burst_started: datetime | None = None
    burst_drained: bool = True
    main_kb: dict[int, int] = field(default_factory=dict)
    child_kb: dict[int, int] = field(default_factory=dict)
    hwm_kb: dict[int, int] = field(default_factory=dict)
    ready_kb: dict[int, int] = field(default_factory=dict)  # VmRSS once the stack was up
    horses: int = 0
    mails: tuple[int, int] = (0, 0)
    sweep: SweepResult | None = None
    load: list[tuple[str, tuple[float, float, float]]] = field(default_factory=list)


def stack_env(tmp: Path, mail_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url(),
        "REDIS_URL": REDIS_URL,
        "TESSERA_BENCH_REDIS": REDIS_URL,
        "FAB_UPDATE_PERMS": "False",
        "SECRET_KEY": SECRET_KEY,
        "TESSERA_INSTANCE_PATH": str(tmp),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(mail_port),
    }


def run(args: argparse.Namespace, figures: Figures) -> None:
    import psycopg
    from redis import Redis

    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    tmp = Path(tempfile.mkdtemp(prefix="tessera-jobs-bench-"))
    mail_port, web_port = free_port(), free_port()
    processes = Processes(tmp, stack_env(tmp, mail_port))
    figures.load.append(("start", os.getloadavg()))
    finished = False
    try:
        print(f"building {DB_NAME} (migrations, demo data, bench definitions) ...", flush=True)
        app = build_schema(tmp)
        department_id = prepare(app)

        print(f"phase 1: raw RQ, {args.raw_runs} no-op jobs one at a time, 2 RQ workers",
              flush=True)
        for n in range(2):
            processes.start(f"raw-worker{n}", [sys.executable, "-m", "bench.jobs_bench",
                                                "--rq-worker", RAW_QUEUE])
        wait_for("2 raw RQ workers", lambda: worker_count(redis) >= 2, 60, processes)
        figures.raw_finished, figures.raw_observed = raw_round_trips(redis, args.raw_runs)
        processes.stop("raw-worker")

        print(f"starting gunicorn -w 4, {args.workers} tessera workers, a mail sink", flush=True)
        flask = [sys.executable, "-m", "flask", "--app", "run", "tessera"]
        processes.start("mailsink", [*flask, "mailsink", "--port", str(mail_port),
                                     "--directory", str(tmp / "mail")])
        # No control socket: its default path under ~/.gunicorn is shared by every gunicorn.
        processes.start("gunicorn", [
            sys.executable, "-m", "gunicorn", "-c", "python:app.gunicorn_conf", "-w", "4",
            "-b", f"127.0.0.1:{web_port}", "--no-control-socket", "run:app",
        ])
        workers = [
            processes.start(f"worker{n}", [*flask, "worker", "-q", "high", "-q", "default",
                                           *(["--fork"] if args.fork else [])])
            for n in range(args.workers)
        ]
        sampler = RssSampler([w.pid for w in workers])
        sampler.start()
        wait_for(f"{args.workers} tessera workers", lambda: worker_count(redis) >= args.workers,
                 120, processes)
        wait_for("the web app", lambda: try_login(web_port), 120, processes)
        token = login(web_port)
        figures.ready_kb = {w.pid: _status(w.pid).get("VmRSS", 0) for w in workers}

        with psycopg.connect(psycopg_dsn(), autocommit=True) as pg:
            print("warm-up: 100 tickets at 20/s", flush=True)
            warm = post_tickets(web_port, token, 100, 20.0, 8, "warm-up")
            report_errors("warm-up", warm)
            wait_drained(pg, args.drain, processes)

            light = int(args.light_rate * args.light_seconds)
            print(f"phase 2a: {light} tickets at {args.light_rate:g}/s (below saturation)",
                  flush=True)
            figures.light = post_tickets(web_port, token, light, args.light_rate, 4, "light")
            report_errors("light", figures.light)
            ids = created_ids(figures.light)
            wait_notified(pg, ids, args.drain, processes)
            wait_drained(pg, args.drain, processes)
            figures.light_outcome = outcome(pg, redis, ids)

            total = int(args.rate * args.seconds)
            print(f"phase 2: {total} tickets offered at {args.rate:g}/s for {args.seconds:g} s, "
                  f"{args.threads} threads", flush=True)
            figures.sustained = post_tickets(web_port, token, total, args.rate, args.threads,
                                             "sustained")
            figures.offered = total
            report_errors("sustained", figures.sustained)
            ids = created_ids(figures.sustained)
            print(f"  {len(ids)} created; waiting for their jobs", flush=True)
            figures.sustained_drained = wait_notified(pg, ids, args.drain, processes)
            figures.sustained_drain_s = wait_drained(pg, args.drain, processes)
            figures.sustained_outcome = outcome(pg, redis, ids)

            print(f"phase 3: burst of {args.burst} tickets, 8 threads", flush=True)
            figures.burst_started = datetime.now(UTC)
            figures.burst = post_tickets(web_port, token, args.burst, None, 8, "burst")
            report_errors("burst", figures.burst)
            ids = created_ids(figures.burst)
            figures.burst_drained = wait_notified(pg, ids, args.drain, processes)
            drained = wait_drained(pg, args.drain, processes)
            figures.burst_jobs_done_s = (datetime.now(UTC) - figures.burst_started
                                         ).total_seconds() if drained < args.drain else None
            figures.burst_outcome = outcome(pg, redis, ids)
            figures.mails = mail_counts(pg)

        sampler.stopping.set()
        sampler.join()
        figures.hwm_kb = sampler.high_water_kb()
        figures.main_kb, figures.child_kb = sampler.main_kb, sampler.child_kb
        figures.horses = len(sampler.children_seen)
        figures.load.append(("after the API phases", os.getloadavg()))
        processes.stop("worker")  # first: their last mail jobs still reach the sink
        processes.stop()

        if args.sweep_tickets > 0:
            print(f"phase 5: automation sweep over {args.sweep_tickets} tickets", flush=True)
            figures.sweep = sweep_phase(app, redis, args.sweep_tickets, department_id)
            figures.load.append(("after the sweep", os.getloadavg()))
        finished = True
    finally:
        processes.stop("worker")
        processes.stop()
        try:
            drop_database()
        finally:
            redis.flushdb()
            redis.close()
        if finished:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"process logs kept in {tmp}")


def stages(table: Table, measured: Outcome, sent: Sequence[Sent]) -> None:
    """The stages of commit → notified, the job's own time and the API's answer time."""
    for name, series in measured.stages.items():
        table.spread(f"  {name}", series)
    table.spread("  (RQ job started → ended)", measured.job_ms)
    table.spread("  API answer, POST /api/v1/tickets/", [s.answer_ms for s in sent])


def achieved_rate(sent: Sequence[Sent]) -> float:
    ok = [s for s in sent if s.ticket_id is not None]
    if len(ok) < 2:
        return 0.0
    span = max(s.sent + s.answer_ms / 1000 for s in ok) - min(s.sent for s in ok)
    return len(ok) / span if span > 0 else 0.0


def print_figures(args: argparse.Namespace, figures: Figures) -> None:
    table = Table()
    sustained, burst = figures.sustained_outcome, figures.burst_outcome
    table.spread("raw RQ: enqueue → job finished (ended_at)", figures.raw_finished,
                 goal="baseline")
    table.spread("raw RQ: enqueue → result seen by client", figures.raw_observed)
    table.spread(f"commit → notified, {args.rate:g}/s sustained", sustained.latency_ms,
                 goal=f"p99 ≤ {GOAL_P99_MS:g} ms",
                 verdict=verdict(bool(sustained.latency_ms)
                                 and percentile(sustained.latency_ms, 99) <= GOAL_P99_MS))
    stages(table, sustained, figures.sustained)
    lateness = [max(0.0, (s.sent - s.due) * 1000) for s in figures.sustained]
    table.spread("load generator lateness (sent - due)", lateness)
    light = figures.light_outcome
    table.spread(f"commit → notified, {args.light_rate:g}/s (below saturation)",
                 light.latency_ms, goal=f"p99 ≤ {GOAL_P99_MS:g} ms",
                 verdict=verdict(bool(light.latency_ms)
                                 and percentile(light.latency_ms, 99) <= GOAL_P99_MS))
    stages(table, light, figures.light)
    for name, measured in (("sustained", sustained), ("below saturation", light)):
        if figures.raw_finished and measured.latency_ms:
            ratio = statistics.median(measured.latency_ms) / statistics.median(figures.raw_finished)
            table.value(f"overhead ratio, p50 / p50 raw, {name}", f"{ratio:.1f}×",
                        f"≤ {GOAL_RATIO:g}×", verdict(ratio <= GOAL_RATIO))
    table.value("achieved rate, sustained", f"{achieved_rate(figures.sustained):.1f}/s",
                f"{args.rate:g}/s",
                f"{len(figures.sustained)} of {figures.offered} sent in {args.seconds:g} s")
    table.value("  its jobs done (ticket.events, mail.send) after",
                f"{figures.sustained_drain_s:.0f} s", "", "after the last notification")
    table.value("notified exactly once, sustained",
                f"{sustained.once} of {len(figures.sustained)}", "all",
                verdict(sustained.once == len(figures.sustained) > 0))
    table.value("  assigned / missing / duplicated",
                f"{sustained.assigned} / {sustained.missing} / {sustained.duplicated}")
    table.spread(f"commit → notified, burst of {args.burst}", burst.latency_ms)
    table.value("burst: created", f"{achieved_rate(figures.burst):.1f}/s")
    if figures.burst_started and burst.last_notified and burst.tickets:
        span = (burst.last_notified - figures.burst_started).total_seconds()
        table.value("burst: notified (until the last notification)",
                    f"{burst.tickets / span:.1f}/s", "", f"{span:.1f} s")
    if figures.burst_jobs_done_s:
        table.value("burst: all its jobs done (mail.send too)",
                    f"{figures.burst_jobs_done_s:.0f} s", "",
                    f"{2 * burst.tickets / figures.burst_jobs_done_s:.1f} jobs/s")
    table.value("notified exactly once, burst", f"{burst.once} of {len(figures.burst)}", "all",
                verdict(burst.once == len(figures.burst) > 0))
    mb = 1024.0
    for n, pid in enumerate(figures.hwm_kb):
        peak = max(figures.hwm_kb[pid], figures.child_kb.get(pid, 0)) / mb
        table.value(
            f"worker {n} RSS: ready / VmHWM / largest child (scheduler, horse)",
            f"{figures.ready_kb.get(pid, 0) / mb:.0f} / {figures.hwm_kb[pid] / mb:.0f} / "
            f"{figures.child_kb.get(pid, 0) / mb:.0f} MB",
            f"≤ {GOAL_RSS_MB:g} MB", verdict(peak <= GOAL_RSS_MB),
        )
    table.value("mail jobs: mails written / sent", f"{figures.mails[0]} / {figures.mails[1]}")
    if figures.sweep is not None:
        sweep = figures.sweep
        rate = sweep.tickets / sweep.seconds if sweep.seconds else 0.0
        interval = 60.0
        table.value(f"automation sweep, {sweep.tickets} tickets", f"{sweep.seconds:.1f} s",
                    "", f"{rate:,.0f} tickets/s")
        table.value(f"  tickets per {interval:g} s (the automation interval)",
                    f"{rate * interval:,.0f}",
                    f"≥ {GOAL_SWEEP_PER_RUN:,}", verdict(rate * interval >= GOAL_SWEEP_PER_RUN))
        table.value("  matched / actions / priority raised",
                    f"{sweep.matched} / {sweep.actions} / {sweep.raised}")
        table.value("  jobs it enqueued (ticket.updated)", f"{sweep.jobs_enqueued}")
        table.value("  COPY + VACUUM ANALYZE of the tickets", f"{sweep.load_seconds:.1f} s")
    print()
    mode = "forked work horses" if args.fork else "jobs in the worker process"
    print(f"job runtime, {args.workers} workers ({mode}), gunicorn -w 4; raw "
          f"{len(figures.raw_finished)} jobs; sustained {len(figures.sustained)} tickets; "
          f"burst {len(figures.burst)}")
    if not figures.sustained_drained or not figures.burst_drained:
        print(f"  some tickets were not notified within {args.drain:g} s")
    table.print()
    print(f"work horses and other children seen: {figures.horses}; load average: "
          + "; ".join(f"{name} {a:.1f} {b:.1f} {c:.1f}" for name, (a, b, c) in figures.load))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=" ".join((__doc__ or "").split("\n\n")[0].split())
    )
    parser.add_argument("--rate", type=float, default=100.0, help="tickets/s, sustained")
    parser.add_argument("--seconds", type=float, default=60.0, help="sustained phase length")
    parser.add_argument("--threads", type=int, default=32, help="load generator threads")
    parser.add_argument("--light-rate", type=float, default=2.0,
                        help="tickets/s of the phase below saturation")
    parser.add_argument("--light-seconds", type=float, default=30.0)
    parser.add_argument("--burst", type=int, default=1000, help="tickets in the burst")
    parser.add_argument("--workers", type=int, default=2, help="tessera worker processes")
    parser.add_argument("--fork", action="store_true",
                        help="tessera workers run each job in a forked work horse")
    parser.add_argument("--raw-runs", type=int, default=300, help="raw RQ jobs")
    parser.add_argument("--sweep-tickets", type=int, default=10_000,
                        help="due tickets of the automation sweep")
    parser.add_argument("--drain", type=float, default=1800.0,
                        help="seconds to wait for the last notifications of a phase")
    parser.add_argument("--rq-worker", metavar="QUEUE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rq_worker:
        rq_worker_main(args.rq_worker)
        return
    # Publishing templates enqueues jobs (field indexes) to the app's REDIS_URL: ours only.
    os.environ["REDIS_URL"] = REDIS_URL
    figures = Figures()
    started = time.perf_counter()
    try:
        run(args, figures)
    finally:
        print_figures(args, figures)
        print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
