"""Report: Tessera's forms against react-jsonschema-form, control by control, in Chromium.

Run from the repository root, after ``bash .ci/install-rjsf``:
``.venv/bin/python bench/rjsf_parity.py [--controls] [name ...]``.
Renders each document of ``tests/e2e/parity/`` with RJSF (``@rjsf/core`` 6, ajv8, core theme)
and as Tessera's definitions console previews it, then prints per document the controls that
match of all controls and every difference, and at the end the figures: documents identical in
controls (n/N) and the overall control match (matched controls / all controls), both allowing
the deliberate differences of ``tests/e2e/test_rjsf_parity.py``. ``--controls`` lists both
sides' controls too. The comparison is described in ``tests/e2e/parity/harness.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.e2e.parity import harness  # noqa: E402
from tests.e2e.test_rjsf_parity import explained, unexplained  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="documents to compare (default: all)")
    parser.add_argument("--controls", action="store_true", help="list both sides' controls")
    args = parser.parse_args()
    problem = harness.missing_bundle()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    names = args.names or harness.document_names()
    identical = matched = total = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages = harness.Pages(browser)
        for name in names:
            outcome = pages.outcome(name)
            left = unexplained(outcome)
            identical += not left
            count = outcome.matched(explained(name))
            matched += count
            total += len(outcome.controls)
            verdict = "identical" if not left else f"{len(left)} difference(s)"
            print(f"{name}: {count}/{len(outcome.controls)} controls match; {verdict}")
            for difference in left:
                print(f"    {difference}")
            for warning in outcome.warnings:
                print(f"    (compiler warning) {warning}")
            if args.controls:
                _list("RJSF", outcome.rjsf)
                _list("Tessera", outcome.tessera)
        pages.close()
        browser.close()
    share = matched / total if total else 1.0
    print()
    print(f"documents identical in controls: {identical}/{len(names)}")
    print(f"overall control match: {matched}/{total} ({share:.1%})")
    return 0


def _list(side: str, controls: list[harness.Control] | None) -> None:
    print(f"    {side}:" + ("" if controls is not None else " (import refused)"))
    for control in controls or []:
        print(f"        {control}")


if __name__ == "__main__":
    raise SystemExit(main())
