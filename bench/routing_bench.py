"""Benchmark of routing conditions: first-match over 10 / 50 / 200 rules. Not a timed test.

Run from the repository root: ``.venv/bin/python bench/routing_bench.py [--quick]``.

10,000 ticket documents (the shape of ``docs/workflows.md``: 20 custom fields of enums,
numbers, booleans, strings and arrays, plus the system fields) are routed through ordered
rules, first match wins. Rules come in nine shapes (category + product model + a number
bound, + VIP and channel, + a tag, + out of hours, + anyOf, + not, + requester e-mail
pattern; and, for one rule in ten, shapes without a category: VIP contract hours, template
and priority). Each document targets one rule picked uniformly (so the average ticket
matches around rule N/2) or, one in ten, none (it falls through).

Sides, interleaved in each repeat, decisions/s as the median of the repeats:

1. pre-built ``jsonschema`` validators in a loop (``is_valid``), on fewer documents;
2. ``jsonschema_rs`` validators in a loop (``validator_for(schema).is_valid``);
3. hand-written predicates, one function per rule shape parametrised by the rule's constants,
   in a loop: the practical limit;
4. Tessera: ``first_match([compile_condition(r) ...])`` and, when importable,
   ``load_workflow(definition).route(doc).rule``.

Every side must give the same decision for every document (jsonschema: every document too,
checked once outside the timing); the script exits 1 on a disagreement. Then the compile
time of the 200-rule list: ``compile_condition`` x 200 + ``first_match``, with the
meta-schema check it contains, beside what jsonschema's own meta-schema check would cost.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from jsonschema import Draft202012Validator  # noqa: E402

from workflows.conditions import compile_condition, first_match  # noqa: E402
from workflows.conditions.index import build_router, choose_index  # noqa: E402
from workflows.conditions.meta import quick_valid  # noqa: E402

jsonschema_rs: Any
try:
    import jsonschema_rs
except ImportError:  # pragma: no cover - installed with the dev requirements
    jsonschema_rs = None

Doc = dict[str, Any]
Router = Callable[[Any], "int | None"]

CATEGORIES = [
    "printer", "laptop", "network", "email", "account", "billing",
    "refund", "shipping", "warranty", "software", "phone",
]  # fmt: skip
OTHER = "other"  # a category no rule names
MODELS = [f"TX-{100 + 10 * i}" for i in range(50)]
TAGS = ["urgent", "repeat", "press", "legal", "vip", "hardware", "software", "outage",
        "billing", "return", "gift", "b2b", "refurb", "loan", "escalated"]  # fmt: skip
URGENCY = ["low", "normal", "high", "critical"]
REGIONS = ["north", "south", "east", "west", "central", "hk", "tw", "intl"]
LANGUAGES = ["en", "zh", "de", "fr", "es"]
SYSTEMS = ["windows", "macos", "linux", "android", "ios"]
CONTRACTS = ["none", "basic", "gold", "platinum"]
TEMPLATES = ["repair", "refund", "it_support", "complaint", "warranty"]
PRIORITIES = ["low", "normal", "high", "urgent"]
CHANNELS = ["web", "email", "phone", "chat"]
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DOMAINS = ["example", "corp", "acme", "globex", "initech"]


def make_doc(rng: random.Random) -> Doc:
    """A realistic ticket document with 20 custom fields."""
    hour = rng.randrange(24)
    return {
        "data": {
            "category": rng.choice([*CATEGORIES, OTHER]),
            "product_model": rng.choice(MODELS),
            "amount": rng.choice([rng.randrange(10_000), round(rng.uniform(0, 10_000), 2)]),
            "quantity": rng.randrange(1, 21),
            "vip": rng.random() < 0.1,
            "tags": rng.sample(TAGS, rng.randrange(4)),
            "urgency": rng.choice(URGENCY),
            "region": rng.choice(REGIONS),
            "language": rng.choice(LANGUAGES),
            "order_number": f"SO-{rng.randrange(10**8):08d}",
            "serial_number": f"SN{rng.randrange(10**8):08d}",
            "warranty": rng.random() < 0.5,
            "purchase_days": rng.randrange(800),
            "rating": rng.randrange(1, 6),
            "os": rng.choice(SYSTEMS),
            "contract": rng.choice(CONTRACTS),
            "repeat_contact": rng.random() < 0.2,
            "attachments": rng.randrange(6),
            "summary": rng.choice(["Paper jam", "No power", "Refund please", "打印机卡纸"]),
            "description": "Since the firmware update the device fails. " * rng.randrange(1, 4),
        },
        "template": rng.choice(TEMPLATES),
        "priority": rng.choice(PRIORITIES),
        "channel": rng.choice(CHANNELS),
        "state": "new",
        "department": None,
        "requester": {
            "name": "Li Lei",
            "email": f"user{rng.randrange(1000)}@{rng.choice(DOMAINS)}.com",
            "phone": "+86 10 5555 0100",
        },
        "created_at": f"2026-10-{rng.randrange(1, 29):02d}T{hour:02d}:15:00+08:00",
        "hour": hour,
        "weekday": rng.choice(WEEKDAYS),
        "in_business_hours": 9 <= hour < 18,
    }


# ---------------------------------------------------------------------------------------------
# rule shapes: schema, hand-written predicate, and how to make a document satisfy the rule


@dataclass(frozen=True)
class Shape:
    name: str
    params: Callable[[random.Random], dict[str, Any]]
    schema: Callable[[dict[str, Any]], Any]
    hand: Callable[[dict[str, Any]], Callable[[Doc], bool]]
    satisfy: Callable[[Doc, dict[str, Any], random.Random], None]


def data_rule(required: list[str], properties: dict[str, Any], **more: Any) -> dict[str, Any]:
    """A condition on ``data``: the required fields and their properties."""
    data = {"type": "object", "required": required, "properties": properties, **more}
    return {"required": ["data"], "properties": {"data": data}}


def product(p: dict[str, Any], extra: list[str], **properties: Any) -> dict[str, Any]:
    """``data_rule`` on the category (const, or enum for several) and the product model."""
    category = {"enum": p["categories"]} if "categories" in p else {"const": p["category"]}
    models = p["models"]
    model = {"const": models[0]} if len(models) == 1 else {"enum": models}
    fields = {"category": category, "product_model": model, **properties}
    return data_rule(["category", "product_model", *extra], fields)


def with_top(rule: dict[str, Any], required: list[str], **properties: Any) -> dict[str, Any]:
    """``rule`` plus conditions on top-level fields."""
    return {
        "required": [*rule["required"], *required],
        "properties": {**rule["properties"], **properties},
    }


def set_product(doc: Doc, p: dict[str, Any], rng: random.Random) -> None:
    """Make the document's category and product model those of the rule."""
    doc["data"]["category"] = rng.choice(p["categories"]) if "categories" in p else p["category"]
    doc["data"]["product_model"] = rng.choice(p["models"])


def hand_product(p: dict[str, Any], more: Callable[[Doc, Doc], bool]) -> Callable[[Doc], bool]:
    """A hand-written rule: category and product, then ``more(doc, data)``."""
    categories = frozenset(p.get("categories", [p.get("category")]))
    models = frozenset(p["models"])

    def rule(doc: Doc) -> bool:
        d = doc["data"]
        return d["category"] in categories and d["product_model"] in models and more(doc, d)

    return rule


# model_amount: category + model + amount >= N


def model_amount_params(r: random.Random) -> dict[str, Any]:
    return {"category": r.choice(CATEGORIES), "models": r.sample(MODELS, r.randrange(1, 4)),
            "min": r.choice([500, 1000, 2500, 5000, 7500.5])}  # fmt: skip


def model_amount_schema(p: dict[str, Any]) -> Any:
    return product(p, ["amount"], amount={"type": "number", "minimum": p["min"]})


def model_amount_hand(p: dict[str, Any]) -> Callable[[Doc], bool]:
    low = p["min"]
    return hand_product(p, lambda doc, d: bool(d["amount"] >= low))


def model_amount_satisfy(doc: Doc, p: dict[str, Any], rng: random.Random) -> None:
    set_product(doc, p, rng)
    doc["data"]["amount"] = p["min"] + rng.randrange(900)


# vip_channel: category + model + VIP + channel


def vip_channel_params(r: random.Random) -> dict[str, Any]:
    return {"category": r.choice(CATEGORIES), "models": [r.choice(MODELS)],
            "channels": r.sample(CHANNELS, 2)}  # fmt: skip


def vip_channel_schema(p: dict[str, Any]) -> Any:
    rule = product(p, ["vip"], vip={"const": True})
    return with_top(rule, ["channel"], channel={"enum": p["channels"]})


def vip_channel_hand(p: dict[str, Any]) -> Callable[[Doc], bool]:
    channels = frozenset(p["channels"])
    return hand_product(p, lambda doc, d: d["vip"] is True and doc["channel"] in channels)


def vip_channel_satisfy(doc: Doc, p: dict[str, Any], rng: random.Random) -> None:
    set_product(doc, p, rng)
    doc["data"]["vip"] = True
    doc["channel"] = rng.choice(p["channels"])


# tagged: category + model + a tag


def tagged_params(r: random.Random) -> dict[str, Any]:
    return {"category": r.choice(CATEGORIES), "models": r.sample(MODELS, r.randrange(1, 3)),
            "tag": r.choice(TAGS)}  # fmt: skip


def tagged_schema(p: dict[str, Any]) -> Any:
    return product(p, ["tags"], tags={"type": "array", "contains": {"const": p["tag"]}})


def tagged_hand(p: dict[str, Any]) -> Callable[[Doc], bool]:
    tag = p["tag"]
    return hand_product(p, lambda doc, d: tag in d["tags"])


def tagged_satisfy(doc: Doc, p: dict[str, Any], rng: random.Random) -> None:
    set_product(doc, p, rng)
    doc["data"]["tags"].append(p["tag"])


# after_hours: two categories + model, out of business hours, high priority


def after_hours_params(r: random.Random) -> dict[str, Any]:
    return {"categories": r.sample(CATEGORIES, 2), "models": [r.choice(MODELS)]}


def after_hours_schema(p: dict[str, Any]) -> Any:
    rule = product(p, [])
    return with_top(
        rule,
        ["in_business_hours", "priority"],
        in_business_hours={"const": False},
        priority={"enum": ["high", "urgent"]},
    )


def after_hours_hand(p: dict[str, Any]) -> Callable[[Doc], bool]:
    return hand_product(
        p,
        lambda doc, d: doc["in_business_hours"] is False and doc["priority"] in ("high", "urgent"),
    )


def after_hours_satisfy(doc: Doc, p: dict[str, Any], rng: random.Random) -> None:
    set_product(doc, p, rng)
    doc.update(in_business_hours=False, hour=22, priority="urgent")


# amount_or_critical: category + model + (amount >= N or critical urgency)


def amount_or_critical_params(r: random.Random) -> dict[str, Any]:
    return {"category": r.choice(CATEGORIES), "models": r.sample(MODELS, r.randrange(1, 4)),
            "min": r.choice([3000, 6000, 9000])}  # fmt: skip


def amount_or_critical_schema(p: dict[str, Any]) -> Any:
    rule = product(p, [])
    rule["properties"]["data"]["anyOf"] = [
        {"required": ["amount"], "properties": {"amount": {"minimum": p["min"]}}},
        {"required": ["urgency"], "properties": {"urgency": {"const": "critical"}}},
    ]
    return rule


def amount_or_critical_hand(p: dict[str, Any]) -> Callable[[Doc], bool]:
    low = p["min"]
    return hand_product(p, lambda doc, d: d["amount"] >= low or d["urgency"] == "critical")


def amount_or_critical_satisfy(doc: Doc, p: dict[str, Any], rng: random.Random) -> None:
    set_product(doc, p, rng)
    doc["data"]["urgency"] = "critical"


# first_contact: category + model + not a repeat contact + low rating


def first_contact_params(r: random.Random) -> dict[str, Any]:
    return {"category": r.choice(CATEGORIES), "models": r.sample(MODELS, r.randrange(1, 4)),
            "max_rating": r.choice([2, 3])}  # fmt: skip


def first_contact_schema(p: dict[str, Any]) -> Any:
    rule = product(p, ["rating"], rating={"type": "integer", "maximum": p["max_rating"]})
    repeat = {"required": ["repeat_contact"], "properties": {"repeat_contact": {"const": True}}}
    rule["properties"]["data"]["not"] = repeat
    return rule


def first_contact_hand(p: dict[str, Any]) -> Callable[[Doc], bool]:
    worst = p["max_rating"]
    return hand_product(p, lambda doc, d: d["repeat_contact"] is not True and d["rating"] <= worst)


def first_contact_satisfy(doc: Doc, p: dict[str, Any], rng: random.Random) -> None:
    set_product(doc, p, rng)
    doc["data"].update(repeat_contact=False, rating=1)


# email_domain: category + model + template + requester e-mail domain (pattern)


def email_domain_params(r: random.Random) -> dict[str, Any]:
    return {"category": r.choice(CATEGORIES), "models": [r.choice(MODELS)],
            "template": r.choice(TEMPLATES), "domain": r.choice(DOMAINS)}  # fmt: skip


def email_domain_schema(p: dict[str, Any]) -> Any:
    email = {"type": "string", "pattern": f"@{p['domain']}\\.com$"}
    requester = {"required": ["email"], "properties": {"email": email}}
    return with_top(
        product(p, []), ["template", "requester"], template={"const": p["template"]},
        requester=requester,
    )  # fmt: skip


def email_domain_hand(p: dict[str, Any]) -> Callable[[Doc], bool]:
    template, suffix = p["template"], f"@{p['domain']}.com"
    return hand_product(
        p,
        lambda doc, d: doc["template"] == template and doc["requester"]["email"].endswith(suffix),
    )


def email_domain_satisfy(doc: Doc, p: dict[str, Any], rng: random.Random) -> None:
    set_product(doc, p, rng)
    doc["template"] = p["template"]
    doc["requester"]["email"] = f"agent@{p['domain']}.com"


# vip_hours (no category): VIP + contract + region + an hour window


def vip_hours_params(r: random.Random) -> dict[str, Any]:
    hour = r.randrange(20)
    return {"region": r.choice(REGIONS), "contract": r.choice(CONTRACTS[2:]), "from": hour,
            "to": hour + 2}  # fmt: skip


def vip_hours_schema(p: dict[str, Any]) -> Any:
    rule = data_rule(
        ["vip", "contract", "region"],
        {"vip": {"const": True}, "contract": {"enum": [p["contract"]]},
         "region": {"const": p["region"]}},
    )  # fmt: skip
    hour = {"type": "integer", "minimum": p["from"], "maximum": p["to"]}
    return with_top(rule, ["hour"], hour=hour)


def vip_hours_hand(p: dict[str, Any]) -> Callable[[Doc], bool]:
    region, contract, first, last = p["region"], p["contract"], p["from"], p["to"]

    def rule(doc: Doc) -> bool:
        d = doc["data"]
        return (
            d["vip"] is True
            and d["region"] == region
            and d["contract"] == contract
            and first <= doc["hour"] <= last
        )

    return rule


def vip_hours_satisfy(doc: Doc, p: dict[str, Any], rng: random.Random) -> None:
    doc["data"].update(vip=True, contract=p["contract"], region=p["region"])
    doc["hour"] = p["from"] + 1


# template_priority (no category): template + urgent + channel + region + language


def template_priority_params(r: random.Random) -> dict[str, Any]:
    return {"template": r.choice(TEMPLATES), "channel": r.choice(CHANNELS),
            "region": r.choice(REGIONS), "langs": r.sample(LANGUAGES, 2)}  # fmt: skip


def template_priority_schema(p: dict[str, Any]) -> Any:
    rule = data_rule(
        ["region", "language"],
        {"region": {"const": p["region"]}, "language": {"enum": p["langs"]}},
    )
    return with_top(
        rule, ["template", "priority", "channel"], template={"const": p["template"]},
        priority={"const": "urgent"}, channel={"const": p["channel"]},
    )  # fmt: skip


def template_priority_hand(p: dict[str, Any]) -> Callable[[Doc], bool]:
    template, channel, region, langs = p["template"], p["channel"], p["region"], set(p["langs"])

    def rule(doc: Doc) -> bool:
        return (
            doc["template"] == template
            and doc["priority"] == "urgent"
            and doc["channel"] == channel
            and doc["data"]["region"] == region
            and doc["data"]["language"] in langs
        )

    return rule


def template_priority_satisfy(doc: Doc, p: dict[str, Any], rng: random.Random) -> None:
    doc.update(template=p["template"], priority="urgent", channel=p["channel"])
    doc["data"].update(region=p["region"], language=p["langs"][0])


def shape(name: str) -> Shape:
    """The shape whose functions are called ``<name>_params`` etc. in this module."""
    parts = [globals()[f"{name}_{part}"] for part in ("params", "schema", "hand", "satisfy")]
    return Shape(name, *parts)


SHAPES = [shape(n) for n in ("model_amount", "vip_channel", "tagged", "after_hours",
                             "amount_or_critical", "first_contact", "email_domain")]  # fmt: skip
UNINDEXED = [shape("vip_hours"), shape("template_priority")]


@dataclass
class Rules:
    schemas: list[Any]
    hand: list[Callable[[Doc], bool]]
    shapes: list[Shape]
    params: list[dict[str, Any]]


def make_rules(n: int, rng: random.Random) -> Rules:
    """``n`` rules, one in ten without a category."""
    rules = Rules([], [], [], [])
    for _ in range(n):
        shape = rng.choice(UNINDEXED) if rng.random() < 0.1 else rng.choice(SHAPES)
        params = shape.params(rng)
        rules.schemas.append(shape.schema(params))
        rules.hand.append(shape.hand(params))
        rules.shapes.append(shape)
        rules.params.append(params)
    return rules


def make_docs(rules: Rules, count: int, rng: random.Random) -> list[Doc]:
    """Documents aimed at a uniformly chosen rule, one in ten at none."""
    docs = []
    for _ in range(count):
        doc = make_doc(rng)
        if rng.random() < 0.1:
            doc["data"]["category"] = OTHER
            doc["data"]["vip"] = False
            doc["priority"] = "normal"
        else:
            target = rng.randrange(len(rules.schemas))
            rules.shapes[target].satisfy(doc, rules.params[target], rng)
        docs.append(doc)
    return docs


# ---------------------------------------------------------------------------------------------
# sides


def loop_router(checks: Sequence[Callable[[Any], bool]]) -> Router:
    """First match by testing each predicate in order."""

    def route(doc: Any) -> int | None:
        for i, check in enumerate(checks):
            if check(doc):
                return i
        return None

    return route


def workflow_router(schemas: Sequence[Any]) -> Router | None:
    """``load_workflow(definition).route(doc).rule`` as a rule index, or None if unavailable."""
    try:
        from workflows import load_workflow
    except ImportError:
        return None
    definition = workflow_definition(schemas)
    workflow = load_workflow(definition)
    names = {f"r{i}": i for i in range(len(schemas))}

    def route(doc: Any) -> int | None:
        rule = workflow.route(doc).rule
        return None if rule is None else names[rule]

    return route


def workflow_definition(schemas: Sequence[Any]) -> dict[str, Any]:
    """A minimal workflow whose routing rules are ``schemas``."""
    return {
        "key": "bench",
        "title": "Bench",
        "states": [{"name": "new", "category": "new"}, {"name": "closed", "category": "closed"}],
        "initial": "new",
        "transitions": [{"name": "close", "from": ["new"], "to": "closed", "roles": ["agent"]}],
        "routing": {
            "rules": [
                {"name": f"r{i}", "when": schema, "then": {"department": f"d{i}"}}
                for i, schema in enumerate(schemas)
            ]
        },
    }


def decide(route: Router, docs: Sequence[Doc]) -> tuple[float, list[int | None]]:
    """Seconds to route every document, and the decisions."""
    start = time.perf_counter()
    out = [route(doc) for doc in docs]
    return time.perf_counter() - start, out


def compile_rules(schemas: Sequence[Any]) -> Router:
    """What a workflow load does for its routing table."""
    conditions = [compile_condition(s, f"/routing/rules/{i}/when") for i, s in enumerate(schemas)]
    return first_match(conditions)


# ---------------------------------------------------------------------------------------------
# measuring


def measure(n: int, docs_count: int, repeats: int, seed: int) -> tuple[bool, dict[str, float]]:
    """Print the figures for ``n`` rules; True when every side agreed."""
    rng = random.Random(seed + n)
    rules = make_rules(n, rng)
    docs = make_docs(rules, docs_count, rng)
    few = docs[: max(200, min(docs_count, 20_000 // n))]  # jsonschema is slow
    sides: dict[str, tuple[Router, list[Doc]]] = {
        "jsonschema (pre-built, loop)": (
            loop_router([Draft202012Validator(s).is_valid for s in rules.schemas]),
            few,
        ),
    }
    if jsonschema_rs is not None:
        rs = [jsonschema_rs.validator_for(s).is_valid for s in rules.schemas]
        sides["jsonschema_rs (loop)"] = (loop_router(rs), docs)
    sides["hand-written (loop)"] = (loop_router(rules.hand), docs)
    sides["Tessera first_match"] = (compile_rules(rules.schemas), docs)
    conditions = [compile_condition(s) for s in rules.schemas]
    index = choose_index(conditions)
    where = "none" if index is None else f"{'.'.join(index[0])} ({len(index[1])} of {n} rules)"
    print(f"\n{n} rules: first_match jumps on {where}")
    plain = build_router(conditions, min_indexed=n + 1)
    sides["Tessera first_match, no index"] = (plain, docs)
    routed = workflow_router(rules.schemas)
    if routed is not None:
        sides["Tessera load_workflow().route"] = (routed, docs)

    truth = decide(loop_router(rules.hand), docs)[1]
    ok = agree("jsonschema (every document, untimed)", loop_router(
        [Draft202012Validator(s).is_valid for s in rules.schemas]), docs, truth)  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(repeats):
        for name, (route, subset) in sides.items():
            seconds, out = decide(route, subset)
            times[name].append(len(subset) / seconds)
            if out != truth[: len(subset)]:
                ok = agree(name, route, subset, truth) and ok
    rates = {name: statistics.median(values) for name, values in times.items()}
    report(n, docs, truth, sides, rates)
    return ok, rates


def agree(name: str, route: Router, docs: Sequence[Doc], truth: Sequence[int | None]) -> bool:
    """True when ``route`` decides as ``truth``; prints the first difference."""
    for i, doc in enumerate(docs):
        got = route(doc)
        if got != truth[i]:
            print(f"DISAGREEMENT {name}: document {i} -> {got}, hand-written -> {truth[i]}")
            return False
    return True


def report(
    n: int,
    docs: Sequence[Doc],
    truth: Sequence[int | None],
    sides: dict[str, tuple[Router, list[Doc]]],
    rates: dict[str, float],
) -> None:
    matched = [t for t in truth if t is not None]
    print(
        f"{n} rules, {len(docs)} documents: average matched rule {statistics.mean(matched):.1f}"
        f" (N/2 = {n / 2:.0f}), falling through {100 * (len(docs) - len(matched)) / len(docs):.1f}%"
    )
    hand = rates["hand-written (loop)"]
    print(f"  {'side':34} {'documents':>9} {'decisions/s':>12} {'vs hand-written':>16}")
    for name, (_, subset) in sides.items():
        print(f"  {name:34} {len(subset):>9} {rates[name]:>12,.0f} {rates[name] / hand:>15.2f}x")
    base = rates["Tessera first_match, no index"] / hand
    ratio = rates["Tessera first_match"] / hand
    print(f"  goal >= 0.8x hand-written without the index: {base:.2f}x "
          f"{'ok' if base >= 0.8 else 'MISSED'}; stretch >= 1x with it: {ratio:.2f}x "
          f"{'ok' if ratio >= 1 else 'missed'}")  # fmt: skip


def compile_times(repeats: int, seed: int) -> None:
    """Median compile time of the 200-rule list, and its meta-schema part."""
    rng = random.Random(seed + 200)
    schemas = make_rules(200, rng).schemas
    total, cpu, quick, routers, jsonschema_meta, loads = [], [], [], [], [], []
    meta = Draft202012Validator(
        Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    conditions = [compile_condition(s) for s in schemas]
    for run in range(repeats):
        start, used = time.perf_counter(), time.process_time()
        compile_rules(schemas)
        total.append(time.perf_counter() - start)
        cpu.append(time.process_time() - used)
        start = time.perf_counter()
        for s in schemas:
            quick_valid(s)
        quick.append(time.perf_counter() - start)
        start = time.perf_counter()
        first_match(conditions)
        routers.append(time.perf_counter() - start)
        if run < 3:  # slow: fewer runs
            start = time.perf_counter()
            for s in schemas:
                meta.is_valid(s)
            jsonschema_meta.append(time.perf_counter() - start)
        try:
            from workflows import load_workflow
        except ImportError:
            continue
        definition = workflow_definition(schemas)
        start = time.perf_counter()
        load_workflow(definition, checksum=f"bench-{seed}-{run}")  # a new key: no cache hit
        loads.append(time.perf_counter() - start)

    def ms(values: list[float]) -> str:
        return f"{1000 * statistics.median(values):.1f} ms" if values else "n/a"

    verdict = "ok" if statistics.median(total) <= 0.1 else "MISSED"
    print("\ncompile, 200 rules (median)")
    print(f"  compile_condition x 200 + first_match:     {ms(total)}  (goal <= 100 ms: {verdict};"
          f" CPU time {ms(cpu)})")  # fmt: skip
    print(f"  the meta-schema check alone, x 200:        {ms(quick)}")
    print(f"  first_match alone (the same 200):          {ms(routers)}")
    print(f"  jsonschema's meta-schema check x 200:      {ms(jsonschema_meta)} (for comparison,"
          " cached meta-validator)")  # fmt: skip
    print(f"  load_workflow (routing + the rest):        {ms(loads)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer documents and repeats")
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()
    docs, repeats = (2_000, 5) if args.quick else (10_000, 7)
    print(f"Python {sys.version.split()[0]}; jsonschema_rs: "
          f"{'yes' if jsonschema_rs is not None else 'n/a'}")  # fmt: skip
    ok = True
    for n in (10, 50, 200):
        agreed, _ = measure(n, docs, repeats, args.seed)
        ok = ok and agreed
    compile_times(repeats, args.seed)
    if not ok:
        print("\nSIDES DISAGREE: see above")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
