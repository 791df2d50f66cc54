"""Shared helpers for the form-compiler conformance tests and ``bench/forms_suite_report.py``.

Two data sets are handled here:

* our own cases, ``tests/forms/cases/*.json`` (JSON-Schema-Test-Suite shape), plus the small
  "field library" their ``$ref``s to ``field:...`` / ``https://tessera.example/fields/...``
  resolve against (passed to ``compile_form`` as ``resolver``);
* the official JSON-Schema-Test-Suite, draft 2020-12 (``../shared/data/json-schema-test-suite``
  next to the repository), with its ``remotes/`` served as ``http://localhost:1234/...``.

Classification of the official suite (documented here, used by the test and the report):

``non-object``
    the test's data is not a JSON object: a form always posts an object, so the test does not
    apply. Counted, not run.
``not-compiled``
    ``compile_form`` raised ``FormCompileError`` for the group's schema; every object-data test
    of the group is counted here with the error message as the reason.
``compile-crash``
    ``compile_form`` raised anything else: a compiler bug, reported as a failure.
``unencodable``
    ``Form.encode(data)`` raised ``FormsError``: the compiler's documented refusal to post
    data its form cannot carry. There is no posting to judge; the reason is the message.
    (The current compiler never refuses: see "posted as JSON text" below.) Any other
    exception from ``encode`` is an ``error``.
``upstream``
    the form disagrees with the suite, and so does jsonschema 4.26 itself (Draft202012Validator
    with format checking and the remotes registry): the compiler validates with jsonschema by
    design, so these are reported with both verdicts but not counted as compiler
    disagreements. (Where the form agrees with the suite it counts as ``agree``.)
``agree`` / ``disagree``
    the form's ``validate()`` equals / differs from the suite's ``valid``. A disagreement
    carries what ``to_instance()`` read back, to tell an encode problem (the posting does not
    represent the data) from a validation problem.
``known-failure``
    a disagreement listed in ``KNOWN_FAILURES`` with a reviewed reason.
``error``
    ``encode``, the form constructor, ``validate()`` or ``to_instance()`` raised.

Posted as JSON text: data that no input of the form can show (a key the form has no field
for, an array where the form has a number input, ...) is not refused by ``Form.encode``: it is
posted as JSON text marked with an ``~e`` ``j<name>`` hint (``forms.codec``). A person cannot
produce such a posting with the rendered inputs, so the verdict there is only jsonschema's on
the decoded JSON. Such tests still count as ``agree``/``disagree`` but are flagged
(``Outcome.escaped`` lists the escaped names, ``""`` = the whole object) and the report gives
the agreement numbers with and without them.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, Draft202012Validator, validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HERE = Path(__file__).resolve().parent
CASES_DIR = HERE / "cases"
SUITE_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "json-schema-test-suite"
SUITE_TESTS = SUITE_DIR / "tests" / "draft2020-12"
SUITE_REMOTES = SUITE_DIR / "remotes"
REMOTES_BASE = "http://localhost:1234/"

# ---------------------------------------------------------------------------------------------
# exact JSON comparison


def json_same(a: Any, b: Any) -> bool:
    """Equality of JSON values that also tells 1 from 1.0 from True and keeps list order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(json_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(json_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def json_diff(a: Any, b: Any, path: str = "") -> str | None:
    """Return the JSON pointer and both values of the first difference, or None."""
    if type(a) is not type(b):
        return f"{path or '/'}: {a!r} ({type(a).__name__}) != {b!r} ({type(b).__name__})"
    if isinstance(a, dict):
        for k in sorted(a.keys() | b.keys()):
            p = f"{path}/{k.replace('~', '~0').replace('/', '~1')}"
            if k not in a:
                return f"{p}: missing on the left, right has {b[k]!r}"
            if k not in b:
                return f"{p}: left has {a[k]!r}, missing on the right"
            d = json_diff(a[k], b[k], p)
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path or '/'}: {len(a)} items != {len(b)} items ({a!r} != {b!r})"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            d = json_diff(x, y, f"{path}/{i}")
            if d:
                return d
        return None
    return None if json_same(a, b) else f"{path or '/'}: {a!r} != {b!r}"


def hints(formdata: Any) -> list[str]:
    """The ``~e`` hints of a posting (``forms.codec``): what plain inputs could not say.

    ``-name`` absent, ``0name`` null, ``+name`` present-but-empty, ``jname`` value posted as
    JSON text. A blank form in the browser posts none: the compiled form renders them as hidden
    inputs only when it edits an existing instance.
    """
    try:
        from forms.names import HINT_KEY
    except ImportError:  # the hint mechanism does not exist (any more)
        return []
    return [h for h in formdata.getlist(HINT_KEY) if isinstance(h, str)]


def json_escaped(formdata: Any) -> list[str]:
    """Names of the values a posting carries as JSON text instead of through real inputs.

    ``Form.encode`` never refuses: a value that no input of the form can show (a list where
    the form has a number input, a key for which there is no field, ...) is posted as JSON
    text marked by an ``~e`` hint ``j<name>`` (see ``forms.codec``); ``""`` is the whole
    object. Such a posting is not something a person can produce with the rendered inputs.
    """
    try:
        from forms.nodes import JSON_STATE
    except ImportError:  # the escape hatch does not exist (any more)
        return []
    return [h[len(JSON_STATE) :] for h in hints(formdata) if h.startswith(JSON_STATE)]


# ---------------------------------------------------------------------------------------------
# our cases


FIELD_LIBRARY: dict[str, Any] = {
    # library fields: a template schema references each as {"$ref": "field:<key>"}
    "field:product_model": {
        "type": "string",
        "title": "Product model",
        "enum": ["TX-100", "TX-200", "TX-300 Pro"],
    },
    "field:order_number": {
        "type": "string",
        "title": "Order number",
        "pattern": "^ORD-[0-9]{6}$",
    },
    "field:contact": {
        "type": "object",
        "title": "Contact",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 80},
            "email": {"$ref": "field:contact_email"},
        },
        "required": ["name", "email"],
    },
    "field:contact_email": {"type": "string", "format": "email", "title": "Contact email"},
    "https://tessera.example/fields/priority": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://tessera.example/fields/priority",
        "type": "string",
        "enum": ["low", "normal", "high", "urgent"],
        "default": "normal",
    },
    "https://tessera.example/fields/money": {
        "$id": "https://tessera.example/fields/money",
        "type": "object",
        "properties": {
            "amount": {"type": "number", "exclusiveMinimum": 0},
            "currency": {"$ref": "#/$defs/currency"},
        },
        "required": ["amount", "currency"],
        "$defs": {"currency": {"type": "string", "enum": ["EUR", "USD", "GBP"]}},
    },
}


def field_registry() -> Registry:
    """A ``referencing`` registry holding ``FIELD_LIBRARY`` (the ``resolver`` of our cases)."""
    return Registry().with_resources(
        (uri, Resource.from_contents(contents, default_specification=DRAFT202012))
        for uri, contents in FIELD_LIBRARY.items()
    )


def uses_field_library(schema: Any) -> bool:
    """True if the schema refers to the field library (then it needs the resolver)."""
    text = json.dumps(schema)
    return '"$ref": "field:' in text or '"$ref": "https://tessera.example/fields/' in text


@dataclass(frozen=True)
class Case:
    file: str
    group: str
    test: str
    schema: Any
    ui_schema: Any
    data: Any
    valid: bool

    @property
    def id(self) -> str:
        return f"{self.file}/{self.group}/{self.test}"


def case_files() -> list[Path]:
    return sorted(CASES_DIR.glob("*.json"))


def load_groups(path: Path) -> list[dict[str, Any]]:
    groups = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(groups, list), path
    return groups


def iter_cases() -> Iterator[Case]:
    for path in case_files():
        for group in load_groups(path):
            for test in group["tests"]:
                yield Case(
                    file=path.stem,
                    group=group["description"],
                    test=test["description"],
                    schema=group["schema"],
                    ui_schema=group.get("uiSchema"),
                    data=test["data"],
                    valid=test["valid"],
                )


def reference_validator(schema: Any) -> Any:
    """The jsonschema validator whose verdict our cases must match.

    Draft 2020-12 with format checking; a group that declares the draft-07 ``$schema`` (used
    only for the draft-7 keywords ``items: [...]``, ``additionalItems`` and ``dependencies``)
    is judged by Draft7Validator, which is what ``validator_for`` picks for it.
    """
    cls = validators.validator_for(schema, default=Draft202012Validator)
    assert cls in (Draft202012Validator, Draft7Validator), cls
    return cls(schema, format_checker=cls.FORMAT_CHECKER, registry=field_registry())


def compile_case(compile_form: Any, schema: Any, ui_schema: Any) -> Any:
    resolver = field_registry() if uses_field_library(schema) else None
    return compile_form(schema, ui_schema, resolver=resolver)


# ---------------------------------------------------------------------------------------------
# official JSON-Schema-Test-Suite

# Reviewed disagreements that are compiler bugs not fixed yet: (file, group, test) -> reason.
# file is relative to tests/draft2020-12, e.g. "optional/format/date.json".
KNOWN_FAILURES: dict[tuple[str, str, str], str] = {}


@dataclass(frozen=True)
class SuiteTest:
    file: str
    group_index: int
    group: str
    test: str
    schema: Any
    data: Any
    valid: bool

    @property
    def id(self) -> str:
        return f"{self.file}/{self.group}/{self.test}"


@dataclass
class Outcome:
    test: SuiteTest
    kind: str
    detail: str = ""
    escaped: tuple[str, ...] = ()  # values posted as JSON text (see the module docstring)
    round_trip: str | None = None  # None: to_instance() == data exactly; else the difference


@dataclass
class SuiteReport:
    groups_total: int = 0
    groups_compiled: int = 0
    tests_total: int = 0
    tests_object: int = 0
    not_compiled: list[tuple[str, str, str]] = field(default_factory=list)  # file, group, why
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def by_kind(self, kind: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind == kind]


def suite_available() -> bool:
    return SUITE_TESTS.is_dir()


def suite_files() -> list[Path]:
    return sorted(SUITE_TESTS.rglob("*.json"))


def remotes_registry() -> Registry:
    """The suite's ``remotes/`` as ``http://localhost:1234/...`` resources."""
    resources = []
    for path in sorted(SUITE_REMOTES.rglob("*.json")):
        uri = REMOTES_BASE + path.relative_to(SUITE_REMOTES).as_posix()
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((uri, Resource.from_contents(contents, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


def iter_suite() -> Iterator[SuiteTest]:
    """Every test of the suite, file by file, group by group."""
    for path in suite_files():
        rel = path.relative_to(SUITE_TESTS).as_posix()
        for gi, group in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            for test in group["tests"]:
                yield SuiteTest(
                    file=rel,
                    group_index=gi,
                    group=group["description"],
                    test=test["description"],
                    schema=group["schema"],
                    data=test["data"],
                    valid=test["valid"],
                )


def suite_object_tests() -> list[SuiteTest]:
    return [t for t in iter_suite() if isinstance(t.data, dict)]


def jsonschema_verdict(schema: Any, data: Any, registry: Registry) -> bool | str:
    try:
        v = Draft202012Validator(
            schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        return bool(v.is_valid(data))
    except Exception as exc:  # reported, not hidden
        return f"{type(exc).__name__}: {exc}"


class SuiteRunner:
    """Compiles each suite group once and classifies each object-data test."""

    def __init__(self) -> None:
        from forms import FormCompileError, compile_form

        self.compile_form = compile_form
        self.compile_error = FormCompileError
        try:
            from forms import FormsError  # the package's base error (encode refusals)
        except ImportError:  # pragma: no cover - older package layout
            from forms.errors import FormsError
        self.encode_error = FormsError
        self.registry = remotes_registry()
        self._forms: dict[tuple[str, int], tuple[str, Any]] = {}

    def form_class(self, t: SuiteTest) -> tuple[str, Any]:
        """('ok', Form) | ('not-compiled', message) | ('compile-crash', message)."""
        key = (t.file, t.group_index)
        if key not in self._forms:
            try:
                result: tuple[str, Any] = (
                    "ok",
                    self.compile_form(t.schema, None, resolver=self.registry),
                )
            except self.compile_error as exc:
                result = ("not-compiled", str(exc))
            except Exception as exc:  # a crash is a finding
                result = ("compile-crash", f"{type(exc).__name__}: {exc}")
            self._forms[key] = result
        return self._forms[key]

    def classify(self, t: SuiteTest) -> Outcome:
        status, form_cls = self.form_class(t)
        if status != "ok":
            return Outcome(t, status, form_cls)
        try:
            formdata = form_cls.encode(t.data)
        except self.encode_error as exc:
            return Outcome(t, "unencodable", str(exc))
        except Exception as exc:
            return Outcome(t, "error", f"encode raised {type(exc).__name__}: {exc}")
        escaped = tuple(json_escaped(formdata))
        try:
            form = form_cls(formdata=formdata, meta={"csrf": False})
            verdict = form.validate()
        except Exception as exc:
            return Outcome(t, "error", f"validate raised {type(exc).__name__}: {exc}", escaped)
        if verdict is not True and verdict is not False:
            return Outcome(t, "error", f"validate() returned {verdict!r}, not a bool", escaped)
        try:
            diff = json_diff(form.to_instance(), t.data)
        except Exception as exc:
            return Outcome(t, "error", f"to_instance raised {type(exc).__name__}: {exc}", escaped)
        if verdict == t.valid:
            return Outcome(t, "agree", "", escaped, diff)
        reference = jsonschema_verdict(t.schema, t.data, self.registry)
        back = "round trip exact" if diff is None else f"to_instance differs: {diff}"
        detail = f"form says {verdict}, suite says {t.valid}; {back}"
        if escaped:
            detail += f"; posted as JSON text: {list(escaped)!r}"
        if reference != t.valid:
            return Outcome(t, "upstream", f"{detail}; jsonschema says {reference}", escaped, diff)
        if (t.file, t.group, t.test) in KNOWN_FAILURES:
            why = KNOWN_FAILURES[(t.file, t.group, t.test)]
            return Outcome(t, "known-failure", f"{detail}; known: {why}", escaped, diff)
        try:
            detail += f"; errors {form.errors_by_pointer()!r}"[:400]
        except Exception as exc:  # diagnostics only
            detail += f"; errors_by_pointer raised {type(exc).__name__}"
        return Outcome(t, "disagree", detail, escaped, diff)


def run_suite() -> SuiteReport:
    start = time.perf_counter()
    report = SuiteReport()
    runner = SuiteRunner()
    seen_groups: set[tuple[str, int]] = set()
    for t in iter_suite():
        key = (t.file, t.group_index)
        if key not in seen_groups:
            seen_groups.add(key)
            report.groups_total += 1
            status, why = runner.form_class(t)
            if status == "ok":
                report.groups_compiled += 1
            else:
                report.not_compiled.append((t.file, t.group, f"{status}: {why}"))
        report.tests_total += 1
        if not isinstance(t.data, dict):
            continue
        report.tests_object += 1
        report.outcomes.append(runner.classify(t))
    report.seconds = time.perf_counter() - start
    return report


def format_report(report: SuiteReport, limit: int | None = None) -> str:
    """The human-readable report printed by ``bench/forms_suite_report.py``."""
    agree = report.by_kind("agree")
    disagree = report.by_kind("disagree")
    upstream = report.by_kind("upstream")
    known = report.by_kind("known-failure")
    unencodable = report.by_kind("unencodable")
    errors = report.by_kind("error") + report.by_kind("compile-crash")
    not_compiled_tests = report.by_kind("not-compiled")
    compared = len(agree) + len(disagree) + len(known) + len(upstream) + len(errors)
    escaped_agree = [o for o in agree if o.escaped]
    escaped_compared = [o for o in agree + disagree + known + upstream + errors if o.escaped]
    compared_all = agree + disagree + known + upstream + errors
    exact = [o for o in compared_all if o.kind != "error" and o.round_trip is None]
    compared_valid = [o for o in compared_all if o.test.valid]
    exact_valid = [o for o in exact if o.test.valid]
    lossy_valid = [o for o in compared_valid if o.kind != "error" and o.round_trip is not None]
    lines = [
        f"JSON-Schema-Test-Suite draft 2020-12 at {SUITE_DIR}",
        f"groups total:                   {report.groups_total}",
        f"groups compiled:                {report.groups_compiled}",
        f"groups not compiled:            {len(report.not_compiled)}",
        f"tests total:                    {report.tests_total}",
        f"tests with object data:         {report.tests_object}",
        f"  in groups not compiled:       {len(not_compiled_tests)}",
        f"  refused by encode:            {len(unencodable)}",
        f"  compared:                     {compared}",
        f"    agreements:                 {len(agree)}"
        f"  ({len(agree) - len(escaped_agree)} through the form's inputs,"
        f" {len(escaped_agree)} with values posted as JSON text)",
        f"    disagreements:              {len(disagree)}",
        f"    known failures:             {len(known)}",
        f"    upstream (jsonschema vs suite): {len(upstream)}",
        f"    errors:                     {len(errors)}",
        f"  compared tests posted with JSON text: {len(escaped_compared)}",
        f"  to_instance(encode(data)) == data: {len(exact)} of {compared} compared"
        f" ({len(exact_valid)} of {len(compared_valid)} with valid data)",
        f"time: {report.seconds:.1f} s",
    ]

    def listing(title: str, outcomes: list[Outcome]) -> None:
        lines.append("")
        lines.append(f"{title} ({len(outcomes)}):")
        for o in outcomes[:limit]:
            lines.append(f"  - {o.test.id}")
            if o.detail:
                lines.append(f"      {o.detail}")
        if limit is not None and len(outcomes) > limit:
            lines.append(f"  ... {len(outcomes) - limit} more")

    listing("DISAGREEMENTS", disagree)
    lines.append("")
    lines.append(f"VALID DATA THAT DOES NOT ROUND-TRIP ({len(lossy_valid)}):")
    for o in lossy_valid[:limit]:
        lines.append(f"  - {o.test.id}: {o.round_trip}")
    listing("ERRORS", errors)
    listing("KNOWN FAILURES", known)
    listing("UPSTREAM: jsonschema 4.26 itself disagrees with the suite", upstream)
    listing("REFUSED BY ENCODE", unencodable)
    lines.append("")
    lines.append(f"NOT COMPILED ({len(report.not_compiled)} groups):")
    for file, group, why in report.not_compiled:
        lines.append(f"  - {file} / {group}: {why}")
    return "\n".join(lines)
