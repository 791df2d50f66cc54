"""The official JSON-Schema-Test-Suite (draft 2020-12, with ``optional/``) against the compiler.

For every group whose schema compiles and every test whose data is a JSON object, the verdict
of ``Form(formdata=Form.encode(data), meta={"csrf": False}).validate()`` must equal
jsonschema's (the source of truth), which is the suite's ``valid`` except where jsonschema
itself disagrees with the suite ("upstream": the form then follows jsonschema, and the report
lists those tests). The classification (not compiled, posted as JSON text, upstream, known
failures, ...) is documented in ``tests/forms/suite.py``; ``bench/forms_suite_report.py``
prints the numbers and lists.

* Groups that raise ``FormCompileError`` are not parametrized; ``test_suite_summary`` lists
  them with the reason (and fails if any group crashes the compiler with another exception).
* A test the compiler refuses to encode fails (encode must be able to post any object).
* ``suite.KNOWN_FAILURES`` entries are xfailed with their reviewed reason.
* For valid data the posting must also read back exactly: ``to_instance() == data``.

The suite lives next to the repository in ``../shared/data/json-schema-test-suite``; when that
directory is absent the whole module is skipped with that reason.
"""

from __future__ import annotations

from typing import Any

import pytest

try:
    from tests.forms import suite
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    import suite  # type: ignore[no-redef]

AVAILABLE = suite.suite_available()
MISSING = f"JSON-Schema-Test-Suite not found at {suite.SUITE_TESTS}"

if AVAILABLE:
    RUNNER: Any = suite.SuiteRunner()
    OBJECT_TESTS = suite.suite_object_tests()
    PARAMS = [t for t in OBJECT_TESTS if RUNNER.form_class(t)[0] != "not-compiled"]
else:  # pragma: no cover - CI has the suite
    RUNNER = None
    OBJECT_TESTS = []
    PARAMS = []


@pytest.mark.skipif(not AVAILABLE, reason=MISSING)
@pytest.mark.parametrize("t", PARAMS, ids=[t.id for t in PARAMS])
def test_suite_verdict(t: suite.SuiteTest) -> None:
    outcome = RUNNER.classify(t)
    if outcome.kind == "known-failure":
        pytest.xfail(outcome.detail)
    # "upstream": form and jsonschema agree with each other, not with the suite.
    assert outcome.kind in ("agree", "upstream"), f"{outcome.kind}: {outcome.detail}"
    if t.valid:  # issue 3: to_instance() == instance for every valid instance
        assert outcome.round_trip is None, f"round trip differs: {outcome.round_trip}"


@pytest.mark.skipif(not AVAILABLE, reason=MISSING)
def test_suite_summary() -> None:
    report = suite.run_suite()
    print(suite.format_report(report))
    assert report.groups_total > 400
    assert report.groups_compiled > 0
    crashes = [entry for entry in report.not_compiled if not entry[2].startswith("not-compiled")]
    assert not crashes, f"compile_form crashed instead of raising FormCompileError: {crashes}"
    assert all(entry[2].strip() != "not-compiled:" for entry in report.not_compiled)
    # every known failure must still be a disagreement (drop entries once fixed)
    known = {(o.test.file, o.test.group, o.test.test) for o in report.by_kind("known-failure")}
    stale = sorted(set(suite.KNOWN_FAILURES) - known)
    assert not stale, f"KNOWN_FAILURES entries that no longer fail: {stale}"
    classified = sum(
        len(report.by_kind(kind))
        for kind in (
            "agree",
            "disagree",
            "upstream",
            "known-failure",
            "unencodable",
            "error",
            "not-compiled",
            "compile-crash",
        )
    )
    assert classified == report.tests_object == len(OBJECT_TESTS)
