"""Report: the compiled forms against the official JSON-Schema-Test-Suite (draft 2020-12).

Run from the repository root: ``.venv/bin/python bench/forms_suite_report.py [--limit N]``.
Prints groups total / compiled, tests with object data, agreements, disagreements (listed),
known failures, tests where jsonschema itself disagrees with the suite, and the groups that
do not compile with the reason. The classification is documented in ``tests/forms/suite.py``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.forms import suite  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="list at most N per section")
    args = parser.parse_args()
    if not suite.suite_available():
        print(f"JSON-Schema-Test-Suite not found at {suite.SUITE_TESTS}", file=sys.stderr)
        return 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = suite.run_suite()
    print(suite.format_report(report, limit=args.limit))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
