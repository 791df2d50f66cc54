"""Parity with react-jsonschema-form: each document of tests/e2e/parity/ renders the controls
RJSF itself renders (label, kind, required flag, initial value, order), in Chromium.

The RJSF side is installed outside the repository by `.ci/install-rjsf` (`make test` runs it
through the `browser` target); `tests/e2e/parity/harness.py` describes both sides and the
comparison, `bench/rjsf_parity.py` prints the figures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fnmatch import fnmatchcase

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.parity import harness

pytestmark = pytest.mark.e2e

# The differences Tessera keeps on purpose, documented in docs/definitions.md ("Parity with
# RJSF"): (document, control label (a glob), what differs, why). Anything else is a gap.
NAMED = (
    "RJSF renders this select without an accessible name (its caption is not tied to it); "
    "Tessera names it after the field with aria-label. The page looks the same."
)
DELIBERATE: list[tuple[str, str, str, str]] = [
    ("oneof_chooser", "Refund method", "label", NAMED),
    ("anyof_chooser", "reach", "label", NAMED),
    ("oneof_empty_example", "Identify by", "label", NAMED),
    ("widgets_alt_date", "*: *", "label", NAMED + " Each part is named 'Field: Part'."),
    (
        "ui_options", "Silent", "label",
        "ui:options label false hides the label in both; Tessera keeps the name as aria-label "
        "for screen readers, RJSF leaves the input nameless.",
    ),
    (
        "nullable", "Floor", "kind",
        "A nullable number (type [\"integer\", \"null\"]) is a number input in Tessera, with "
        "its step, min and max; RJSF picks its number field (getSchemaType drops the null) but "
        "getInputProps compares the type list with 'integer' and falls back to a text input.",
    ),
    (
        "any_value", "", "extra",
        "Nothing to edit in both. A posted form carries an any-value field's stored value in a "
        "hidden input (posted back unseen); RJSF keeps it in its state.",
    ),
]


def deliberate(document: str, difference: harness.Difference) -> str | None:
    """Why this difference is kept on purpose, or None when it is a gap."""
    for doc, control, what, why in DELIBERATE:
        if (doc, what) == (document, difference.what) and fnmatchcase(difference.control, control):
            return why
    return None


def explained(document: str) -> Callable[[harness.Difference], bool]:
    """Whether DELIBERATE explains a difference of `document`."""
    return lambda difference: deliberate(document, difference) is not None


def unexplained(outcome: harness.Outcome) -> list[harness.Difference]:
    """The differences of a document that DELIBERATE does not explain."""
    return [d for d in outcome.differences if deliberate(outcome.document, d) is None]


@pytest.fixture(scope="module")
def pages(browser: Browser) -> Iterator[harness.Pages]:
    problem = harness.missing_bundle()
    if problem:
        pytest.fail(problem)
    both = harness.Pages(browser)
    yield both
    both.close()


@pytest.mark.parametrize("name", harness.document_names())
def test_document_renders_rjsf_controls(pages: harness.Pages, name: str) -> None:
    outcome = pages.outcome(name)
    assert outcome.rjsf, f"RJSF rendered no control for {name}: the document tests nothing"
    left = unexplained(outcome)
    figure = f"{outcome.matched(explained(name))}/{len(outcome.controls)} controls match"
    assert not left, f"{name}: {figure}\n" + "\n".join(map(str, left))


def test_deliberate_differences_still_occur(pages: harness.Pages) -> None:
    """A row of DELIBERATE that explains nothing in an imported document is stale."""
    stale = []
    for doc, control, what, _why in DELIBERATE:
        outcome = pages.outcome(doc)
        if outcome.tessera is None:
            continue  # refused by the import: its own test fails and says why
        if not any(
            d.what == what and fnmatchcase(d.control, control) for d in outcome.differences
        ):
            stale.append((doc, control, what))
    assert not stale, f"remove these rows of DELIBERATE: {stale}"


def test_comparison_reports_each_kind_of_difference() -> None:
    """The comparison itself: a changed value, a moved control, a missing and an extra one."""
    c = harness.Control
    rjsf = [c("A", "text", True, ""), c("B", "number", False, "1"), c("C", "select", False, None)]
    tessera = [c("C", "select", False, None), c("A", "text", False, ""), c("D", "text", False, "")]
    entries = harness.compare(rjsf, tessera)
    assert sorted((d.control, d.what) for entry in entries for d in entry) == [
        ("A", "required"), ("B", "missing"), ("C", "order"), ("D", "extra"),
    ]
    assert len(entries) == 4
    assert harness.compare(rjsf, list(rjsf)) == [[], [], []]


EXTRACTOR_PAGE = """<form id="f">
  <label for="a">Name <span>*</span></label><input id="a" value="Li">
  <label><input type="checkbox" checked> Agreed</label>
  <div id="g" role="radiogroup"><label><input type="radio" name="r" value="0" required>
    Low</label><label><input type="radio" name="r" value="1" checked> High</label></div>
  <label for="g">Impact</label>
  <fieldset><legend>Topics *</legend><label><input type="checkbox" name="t" value="0"> x</label>
    <label><input type="checkbox" name="t" value="1" checked> y</label></fieldset>
  <select aria-label="Size" multiple><option value="0" selected>S</option><option>M</option>
  </select>
  <select id="s"><option value="">-</option><option value="9">Nine</option></select>
  <input type="file" multiple aria-label="Scans">
  <input type="hidden" name="bookkeeping" value="1"><input type="hidden" id="h" value="v">
  <div hidden><input id="off" value="unseen"></div>
  <button type="button">Add</button>
</form>"""


def test_extractor_reads_names_kinds_flags_and_values(page: Page) -> None:
    page.set_content(EXTRACTOR_PAGE)
    c = harness.Control
    assert harness.controls(page, "#f") == [
        c("Name", "text", True, "Li"),
        c("Agreed", "checkbox", False, True),
        c("Impact", "radio group", True, "High"),
        c("Topics", "checkbox group", True, ("y",)),
        c("Size", "multi-select", False, ("S",)),
        c(None, "select", False, None),
        c("Scans", "files", False, None),
        c(None, "hidden", False, "v"),
    ]
