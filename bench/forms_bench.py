"""Benchmark of the form compiler (issue 3). Prints medians, p95s and ratios; not a timed test.

Run from the repository root: ``.venv/bin/python bench/forms_bench.py [--quick]``.

1. Cold compile of generated templates with 20, 100 and 500 properties (mixed: strings with
   maxLength + pattern, integers / numbers with bounds, enums, booleans, dates, e-mails, and
   every 10th property a nested object of three fields). Before each run the compiler cache is
   cleared (``forms.clear_cache``), ``re``'s cache is purged, and the schema is made unique
   (a ``$comment`` and a pattern literal carry the run number). Goal: 500 fields <= 50 ms.
2. Warm lookup ``compile_form(same_schema_dict)``. Goal <= 20 us. Also shown: an equal copy of
   the dict (the content-hash path).
3. ``validate()`` + ``to_instance()`` of a 20-field submission vs a hand-written
   ``wtforms.Form`` with the same fields and equivalent validators, followed by the same
   jsonschema check (Draft 2020-12, format checker, ``iter_errors``) on a dict built from its
   data; interleaved in the same run. Goal: ratio generated / hand-written <= 1.25.
   The hand-written e-mail check is a ``Regexp`` (the generated form has no stricter e-mail
   check than jsonschema either; ``wtforms.validators.Email`` would add email_validator's cost
   to the baseline only).
4. Memory of 200 compiled distinct 50-field templates (tracemalloc, traced-memory delta with
   the classes kept alive).
"""

from __future__ import annotations

import argparse
import copy
import gc
import re
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from jsonschema import Draft202012Validator  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402
from wtforms import Form as WTForm  # noqa: E402
from wtforms.fields import (  # noqa: E402
    BooleanField,
    DateField,
    FloatField,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # noqa: E402
from wtforms.validators import (  # noqa: E402
    AnyOf,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

import forms  # noqa: E402
from forms import compile_form  # noqa: E402

# ---------------------------------------------------------------------------------------------
# generated templates


def make_template(n_fields: int, uid: int) -> dict[str, Any]:
    """A ticket template with ``n_fields`` properties of mixed kinds, unique per ``uid``."""
    props: dict[str, Any] = {}
    required: list[str] = []
    for i in range(n_fields):
        kind = i % 10
        name = f"field_{i:03d}"
        if kind == 0:
            schema: dict[str, Any] = {
                "type": "string",
                "maxLength": 40 + i % 7,
                "pattern": f"^[A-Z]{{2}}-[0-9]{{{2 + i % 4}}}(x{uid})?$",
            }
        elif kind == 1:
            schema = {"type": "integer", "minimum": 0, "maximum": 1000 + i}
        elif kind == 2:
            schema = {"type": "number", "exclusiveMinimum": 0, "maximum": 5000.5}
        elif kind == 3:
            schema = {"type": "string", "enum": ["low", "normal", "high", f"v{i}"]}
        elif kind == 4:
            schema = {"type": "boolean"}
        elif kind == 5:
            schema = {"type": "string", "format": "date"}
        elif kind == 6:
            schema = {"type": "string", "format": "email", "maxLength": 120}
        elif kind == 7:
            schema = {"type": "string", "minLength": 1, "maxLength": 2000}
        elif kind == 8:
            schema = {"type": "integer", "enum": [1, 2, 3, 5, 8]}
        else:
            schema = {
                "type": "object",
                "title": f"Group {i}",
                "properties": {
                    "street": {"type": "string", "minLength": 2, "maxLength": 80},
                    "postcode": {"type": "string", "pattern": "^[0-9]{5}$"},
                    "country": {"type": "string", "enum": ["DE", "AT", "CH"]},
                },
                "required": ["street", "country"],
            }
        schema["title"] = f"Field {i}"
        props[name] = schema
        if i % 2 == 0:
            required.append(name)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": f"bench template {n_fields}/{uid}",
        "type": "object",
        "title": f"Template {uid}",
        "properties": props,
        "required": required,
    }


def make_instance(n_fields: int) -> dict[str, Any]:
    """A valid instance of ``make_template(n_fields, uid)`` (any uid)."""
    values: list[Any] = [
        "AB-12",
        7,
        12.5,
        "normal",
        True,
        "2026-11-22",
        "a@example.com",
        "text",
        3,
        {"street": "Hauptstr. 5", "postcode": "10115", "country": "DE"},
    ]
    out: dict[str, Any] = {}
    for i in range(n_fields):
        value = values[i % 10]
        if i % 10 == 0:
            value = "AB-" + "1" * (2 + i % 4)
        out[f"field_{i:03d}"] = value
    return out


# ---------------------------------------------------------------------------------------------
# the 20-field ticket for (3): schema, instance, and the hand-written equivalent

PRIORITIES = ["low", "normal", "high", "urgent"]
MODELS = ["TX-100", "TX-200", "TX-300 Pro"]
TIERS = ["none", "silver", "gold"]
CHANNELS = ["web", "mail", "phone"]
COUNTRIES = ["DE", "AT", "CH"]

TICKET_20: dict[str, Any] = {
    "type": "object",
    "title": "Repair request",
    "properties": {
        "subject": {"type": "string", "minLength": 5, "maxLength": 120},
        "description": {"type": "string", "maxLength": 4000},
        "order_number": {"type": "string", "pattern": "^ORD-[0-9]{6}$"},
        "product_model": {"type": "string", "enum": MODELS},
        "priority": {"type": "string", "enum": PRIORITIES},
        "quantity": {"type": "integer", "minimum": 1, "maximum": 99},
        "refund_amount": {"type": "number", "exclusiveMinimum": 0, "maximum": 5000},
        "purchase_date": {"type": "string", "format": "date"},
        "contact_email": {"type": "string", "format": "email"},
        "contact_phone": {"type": "string", "pattern": "^\\+?[0-9 ]{6,20}$"},
        "under_warranty": {"type": "boolean"},
        "newsletter": {"type": "boolean"},
        "serial_number": {"type": "string", "pattern": "^[A-Z0-9]{8,12}$"},
        "vip_tier": {"type": "string", "enum": TIERS},
        "rating": {"type": "integer", "minimum": 1, "maximum": 5},
        "channel": {"type": "string", "enum": CHANNELS},
        "fault_code": {"type": "string", "maxLength": 10},
        "address": {
            "type": "object",
            "properties": {
                "street": {"type": "string", "minLength": 2, "maxLength": 80},
                "city": {"type": "string", "minLength": 2, "maxLength": 60},
                "country": {"type": "string", "enum": COUNTRIES},
            },
            "required": ["street", "city", "country"],
        },
    },
    "required": [
        "subject",
        "product_model",
        "priority",
        "quantity",
        "purchase_date",
        "contact_email",
        "under_warranty",
        "newsletter",
        "channel",
        "address",
    ],
}

INSTANCE_20: dict[str, Any] = {
    "subject": "Printer jams on every page",
    "description": "Since the firmware update the printer jams.\nTray 2 only.",
    "order_number": "ORD-004211",
    "product_model": "TX-200",
    "priority": "high",
    "quantity": 2,
    "refund_amount": 149.99,
    "purchase_date": "2026-03-14",
    "contact_email": "anna.berg@example.com",
    "contact_phone": "+49 30 1234567",
    "under_warranty": True,
    "newsletter": False,
    "serial_number": "AB12CD34",
    "vip_tier": "gold",
    "rating": 4,
    "channel": "web",
    "fault_code": "E42",
    "address": {"street": "Hauptstr. 5", "city": "Berlin", "country": "DE"},
}


def _choices(values: list[str]) -> list[SelectChoice]:
    return [SelectChoice(v, v) for v in values]


def _exclusive_minimum(bound: float) -> Callable[[Any, Any], None]:
    def check(form: Any, field: Any) -> None:
        if field.data is not None and not field.data > bound:
            raise ValidationError(f"Must be greater than {bound}.")

    return check


class AddressForm(WTForm):
    street = StringField("Street", validators=[InputRequired(), Length(min=2, max=80)])
    city = StringField("City", validators=[InputRequired(), Length(min=2, max=60)])
    country = SelectField("Country", choices=_choices(COUNTRIES), validators=[InputRequired()])


class HandWrittenTicket(WTForm):
    subject = StringField("Subject", validators=[InputRequired(), Length(min=5, max=120)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=4000)])
    order_number = StringField("Order number", validators=[Optional(), Regexp(r"^ORD-[0-9]{6}$")])
    product_model = SelectField("Model", choices=_choices(MODELS), validators=[InputRequired()])
    priority = SelectField("Priority", choices=_choices(PRIORITIES), validators=[InputRequired()])
    quantity = IntegerField("Quantity", validators=[InputRequired(), NumberRange(1, 99)])
    refund_amount = FloatField(
        "Refund", validators=[Optional(), _exclusive_minimum(0), NumberRange(max=5000)]
    )
    purchase_date = DateField("Purchase date", validators=[InputRequired()])
    contact_email = StringField(
        "E-mail", validators=[InputRequired(), Regexp(r"^[^@\s]+@[^@\s]+$")]
    )
    contact_phone = StringField("Phone", validators=[Optional(), Regexp(r"^\+?[0-9 ]{6,20}$")])
    under_warranty = BooleanField("Warranty")
    newsletter = BooleanField("Newsletter")
    serial_number = StringField("Serial", validators=[Optional(), Regexp(r"^[A-Z0-9]{8,12}$")])
    vip_tier = SelectField(
        "VIP tier", choices=_choices(TIERS), validators=[Optional(), AnyOf(TIERS)]
    )
    rating = IntegerField("Rating", validators=[Optional(), NumberRange(1, 5)])
    channel = SelectField("Channel", choices=_choices(CHANNELS), validators=[InputRequired()])
    fault_code = StringField("Fault code", validators=[Optional(), Length(max=10)])
    address = FormField(AddressForm)


HANDWRITTEN_POST = MultiDict(
    [
        ("subject", INSTANCE_20["subject"]),
        ("description", INSTANCE_20["description"]),
        ("order_number", INSTANCE_20["order_number"]),
        ("product_model", INSTANCE_20["product_model"]),
        ("priority", INSTANCE_20["priority"]),
        ("quantity", "2"),
        ("refund_amount", "149.99"),
        ("purchase_date", INSTANCE_20["purchase_date"]),
        ("contact_email", INSTANCE_20["contact_email"]),
        ("contact_phone", INSTANCE_20["contact_phone"]),
        ("under_warranty", "y"),
        ("serial_number", INSTANCE_20["serial_number"]),
        ("vip_tier", INSTANCE_20["vip_tier"]),
        ("rating", "4"),
        ("channel", INSTANCE_20["channel"]),
        ("fault_code", INSTANCE_20["fault_code"]),
        ("address-street", "Hauptstr. 5"),
        ("address-city", "Berlin"),
        ("address-country", "DE"),
    ]
)

OPTIONAL_TEXT = ("description", "order_number", "contact_phone", "serial_number", "fault_code")
VALIDATOR_20 = Draft202012Validator(TICKET_20, format_checker=Draft202012Validator.FORMAT_CHECKER)


def handwritten_round(formdata: MultiDict[str, Any]) -> tuple[bool, dict[str, Any]]:
    """Hand-written form: WTForms validation, build the dict, then the same jsonschema check."""
    form = HandWrittenTicket(formdata=formdata)
    ok = form.validate()
    d: dict[str, Any] = {
        "subject": form.subject.data,
        "product_model": form.product_model.data,
        "priority": form.priority.data,
        "quantity": form.quantity.data,
        "purchase_date": form.purchase_date.data.isoformat() if form.purchase_date.data else None,
        "contact_email": form.contact_email.data,
        "under_warranty": form.under_warranty.data,
        "newsletter": form.newsletter.data,
        "channel": form.channel.data,
        "address": {
            "street": form.address.street.data,
            "city": form.address.city.data,
            "country": form.address.country.data,
        },
    }
    for name in OPTIONAL_TEXT:
        value = form[name].data
        if value:
            d[name] = value
    if form.refund_amount.data is not None:
        d["refund_amount"] = form.refund_amount.data
    if form.vip_tier.data:
        d["vip_tier"] = form.vip_tier.data
    if form.rating.data is not None:
        d["rating"] = form.rating.data
    errors = list(VALIDATOR_20.iter_errors(d))
    return ok and not errors, d


def generated_round(form_cls: Any, formdata: MultiDict[str, Any]) -> tuple[bool, Any]:
    form = form_cls(formdata=formdata, meta={"csrf": False})
    ok = form.validate()
    return ok, form.to_instance()


# ---------------------------------------------------------------------------------------------
# timing helpers


def stats_us(samples_ns: list[int]) -> tuple[float, float]:
    ordered = sorted(samples_ns)
    median = statistics.median(ordered) / 1000
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))] / 1000
    return median, p95


def fmt_us(us: float) -> str:
    if us >= 1000:
        return f"{us / 1000:.2f} ms"
    return f"{us:.1f} us"


def clear_compiler_cache() -> None:
    clear = getattr(forms, "clear_cache", None)
    if clear is not None:
        clear()


def bench_cold(n_fields: int, runs: int, uid_base: int) -> tuple[float, float]:
    samples = []
    for r in range(runs):
        schema = make_template(n_fields, uid_base + r)
        clear_compiler_cache()
        re.purge()
        gc.collect()
        t0 = time.perf_counter_ns()
        compile_form(schema)
        samples.append(time.perf_counter_ns() - t0)
    return stats_us(samples)


def bench_cold_first_use(n_fields: int, runs: int, uid_base: int) -> tuple[float, float]:
    """Cold compile plus the first encode + validate + to_instance (lazy work included)."""
    instance = make_instance(n_fields)
    samples = []
    for r in range(runs):
        schema = make_template(n_fields, uid_base + r)
        clear_compiler_cache()
        re.purge()
        gc.collect()
        t0 = time.perf_counter_ns()
        form_cls = compile_form(schema)
        form = form_cls(formdata=form_cls.encode(instance), meta={"csrf": False})
        ok = form.validate()
        back = form.to_instance()
        samples.append(time.perf_counter_ns() - t0)
        assert ok and back == instance, (form.errors_by_pointer(), back)
    return stats_us(samples)


def bench_warm(schema: dict[str, Any], runs: int) -> tuple[float, float]:
    """``compile_form`` with the very dict it compiled before."""
    compile_form(schema)
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        compile_form(schema)
        samples.append(time.perf_counter_ns() - t0)
    return stats_us(samples)


def bench_warm_copy(schema: dict[str, Any], runs: int) -> tuple[float, float]:
    """``compile_form`` with a fresh, equal copy each time (the content-hash path)."""
    compile_form(schema)
    copies = [copy.deepcopy(schema) for _ in range(runs)]
    samples = []
    for probe in copies:
        t0 = time.perf_counter_ns()
        compile_form(probe)
        samples.append(time.perf_counter_ns() - t0)
    return stats_us(samples)


def bench_jsonschema_alone(runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        list(VALIDATOR_20.iter_errors(INSTANCE_20))
        samples.append(time.perf_counter_ns() - t0)
    return stats_us(samples)


def bench_submission(runs: int) -> tuple[tuple[float, float], tuple[float, float]]:
    form_cls = compile_form(TICKET_20)
    posted = form_cls.encode(INSTANCE_20)
    ok, back = generated_round(form_cls, posted)
    assert ok and back == INSTANCE_20, ("generated form does not round-trip", back)
    ok, built = handwritten_round(HANDWRITTEN_POST)
    assert ok and built == INSTANCE_20, ("hand-written form does not round-trip", built)
    # both really validate: a bad quantity and a bad e-mail are refused by both
    bad = dict(INSTANCE_20, quantity=0, contact_email="nobody")
    assert not generated_round(form_cls, form_cls.encode(bad))[0]
    bad_post = MultiDict(HANDWRITTEN_POST)
    bad_post["quantity"] = "0"
    bad_post["contact_email"] = "nobody"
    assert not handwritten_round(bad_post)[0]
    gen: list[int] = []
    hand: list[int] = []
    for _ in range(50):  # warm-up
        generated_round(form_cls, posted)
        handwritten_round(HANDWRITTEN_POST)
    gc.collect()
    for i in range(runs):
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for which in order:
            if which == 0:
                t0 = time.perf_counter_ns()
                generated_round(form_cls, posted)
                gen.append(time.perf_counter_ns() - t0)
            else:
                t0 = time.perf_counter_ns()
                handwritten_round(HANDWRITTEN_POST)
                hand.append(time.perf_counter_ns() - t0)
    return stats_us(gen), stats_us(hand)


def bench_memory(count: int, n_fields: int) -> tuple[float, float]:
    clear_compiler_cache()
    schemas = [make_template(n_fields, 900_000 + i) for i in range(count)]
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    kept = [compile_form(s) for s in schemas]
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    delta = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert len(kept) == count
    return delta / (1024 * 1024), delta / count / 1024


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description="form compiler benchmark")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    scale = 0.2 if args.quick else 1.0

    def reps(n: int) -> int:
        return max(5, int(n * scale))

    # warm the interpreter and the compiler's imports
    compile_form(make_template(20, 1))
    clear_compiler_cache()

    rows: list[tuple[str, str, str, str, str]] = []
    cold: dict[int, tuple[float, float]] = {}
    for n_fields, runs in ((20, 200), (100, 60), (500, 25)):
        cold[n_fields] = bench_cold(n_fields, reps(runs), uid_base=n_fields * 10_000)
        goal = "<= 50 ms" if n_fields == 500 else ""
        verdict = ""
        if n_fields == 500:
            verdict = "ok" if cold[n_fields][0] <= 50_000 else "MISSED"
        median, p95 = cold[n_fields]
        rows.append(
            (f"cold compile, {n_fields} fields", fmt_us(median), fmt_us(p95), goal, verdict)
        )

    first = bench_cold_first_use(500, reps(25), uid_base=5_000_000)
    rows.append(
        ("cold compile + first validate, 500 fields", fmt_us(first[0]), fmt_us(first[1]), "", "")
    )

    template_500 = make_template(500, 7)
    warm = bench_warm(template_500, reps(20_000))
    rows.append(
        (
            "warm lookup, same dict (500 fields)",
            fmt_us(warm[0]),
            fmt_us(warm[1]),
            "<= 20 us",
            "ok" if warm[0] <= 20 else "MISSED",
        )
    )
    template_20 = make_template(20, 8)
    warm20 = bench_warm(template_20, reps(20_000))
    rows.append(
        (
            "warm lookup, same dict (20 fields)",
            fmt_us(warm20[0]),
            fmt_us(warm20[1]),
            "<= 20 us",
            "ok" if warm20[0] <= 20 else "MISSED",
        )
    )
    for n_fields, runs in ((20, 2_000), (500, 200)):
        warm_copy = bench_warm_copy(make_template(n_fields, 9), reps(runs))
        rows.append(
            (
                f"warm lookup, equal copy ({n_fields} fields, hash path)",
                fmt_us(warm_copy[0]),
                fmt_us(warm_copy[1]),
                "",
                "",
            )
        )

    gen, hand = bench_submission(reps(3_000))
    ratio = gen[0] / hand[0]
    ratio95 = gen[1] / hand[1]
    rows.append(
        ("validate+to_instance, generated (20 fields)", fmt_us(gen[0]), fmt_us(gen[1]), "", "")
    )
    rows.append(
        ("validate+dict+jsonschema, hand-written", fmt_us(hand[0]), fmt_us(hand[1]), "", "")
    )
    alone = bench_jsonschema_alone(reps(3_000))
    rows.append(
        ("  of which jsonschema iter_errors alone", fmt_us(alone[0]), fmt_us(alone[1]), "", "")
    )
    rows.append(
        (
            "ratio generated / hand-written",
            f"{ratio:.2f}x",
            f"{ratio95:.2f}x",
            "<= 1.25",
            "ok" if ratio <= 1.25 else "MISSED",
        )
    )

    total_mb, per_kb = bench_memory(200, 50)
    rows.append(
        (
            "memory, 200 compiled 50-field templates",
            f"{total_mb:.1f} MiB",
            f"{per_kb:.0f} KiB each",
            "",
            "",
        )
    )

    print(
        f"forms benchmark (Python {sys.version.split()[0]}, "
        f"{'quick' if args.quick else 'full'} run)"
    )
    header = ("measure", "median", "p95", "goal", "")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    print()
    print(f"cold 500 / cold 20 fields: {cold[500][0] / cold[20][0]:.1f}x time for 25x fields")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
