"""Parity with react-jsonschema-form: render a document with RJSF and with Tessera, compare.

A document is a file ``tests/e2e/parity/<name>.json`` in the RJSF playground shape
(``schema``, optional ``uiSchema`` and ``formData``; ``description`` says what it covers).

- The RJSF side: ``@rjsf/core`` with ``@rjsf/validator-ajv8``, core theme, the versions pinned
  in ``.ci/rjsf/``, bundled by ``.ci/install-rjsf`` into ``$TESSERA_RJSF_CACHE``
  (``~/.cache/tessera-rjsf``); ``<Form schema uiSchema formData validator>``.
- The Tessera side: what the definitions console previews for the same document imported as a
  template: the definition checks (no library fields), then the preview form filled with the
  example ``formData``, rendered with the forms script.
- Both in one Chromium context in UTC (RJSF shows date-times in the browser's zone, Tessera in
  the person's, UTC without one); ``controls.js`` lists each page's controls.

Used by ``tests/e2e/test_rjsf_parity.py`` and ``bench/rjsf_parity.py``.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page

from app.definitions.checks import check_definition
from app.definitions.errors import DefinitionInvalid
from app.views.definition_editor import example_of, preview_form
from forms import SCRIPT, STATIC_FOLDER

FOLDER = Path(__file__).parent
CACHE = Path(os.environ.get("TESSERA_RJSF_CACHE") or Path.home() / ".cache" / "tessera-rjsf")
BUNDLE = CACHE / "rjsf-page.js"
EXTRACTOR = (FOLDER / "controls.js").read_text(encoding="utf-8")
ZONE = "UTC"
ATTRIBUTES = ("label", "kind", "required", "value")


@dataclass(frozen=True)
class Control:
    """One control as a person meets it: its name, what it is, required or not, its value."""

    label: str | None
    kind: str
    required: bool
    value: Any  # str, bool, None, or a tuple of chosen option labels


@dataclass(frozen=True)
class Difference:
    """Where the two forms part: `what` is an attribute, or missing / extra / order / import."""

    control: str
    what: str
    rjsf: Any
    tessera: Any

    def __str__(self) -> str:
        if self.what == "import":
            return f"the import refuses the document: {self.tessera}"
        name = self.control or "(no label)"
        return f"{name}: {self.what}: RJSF {self.rjsf!r}, Tessera {self.tessera!r}"


@dataclass
class Outcome:
    """One document compared: both control lists and, per control, how the two sides differ.

    `controls` has one entry per control (paired, or on one side only): its differences, none
    when it matches. A refused import leaves every RJSF control unmatched by the refusal.
    """

    document: str
    rjsf: list[Control]
    tessera: list[Control] | None  # None when the import refused the document
    controls: list[list[Difference]]
    warnings: list[str] = field(default_factory=list)

    @property
    def differences(self) -> list[Difference]:
        """Every difference once, in document order."""
        unique = {id(d): d for entry in self.controls for d in entry}
        return list(unique.values())

    def matched(self, allowed: Callable[[Difference], bool] = lambda d: False) -> int:
        """How many controls match, counting those that differ only in `allowed` ways."""
        return sum(all(allowed(d) for d in entry) for entry in self.controls)


def document_names() -> list[str]:
    """The parity documents, by file name without ``.json``."""
    return sorted(path.stem for path in FOLDER.glob("*.json"))


def load(name: str) -> dict[str, Any]:
    """A parity document."""
    doc: dict[str, Any] = json.loads((FOLDER / f"{name}.json").read_text(encoding="utf-8"))
    return doc


def missing_bundle() -> str | None:
    """Why the RJSF page cannot load, or None."""
    if BUNDLE.exists():
        return None
    return f"{BUNDLE} is missing: run `bash .ci/install-rjsf` (make test does)."


class Pages:
    """Two pages in one UTC browser context: RJSF's (loaded once) and Tessera's."""

    def __init__(self, browser: Browser) -> None:
        self.context = browser.new_context(timezone_id=ZONE, locale="en-US")
        self.errors: list[str] = []
        self.rjsf_page = self.context.new_page()
        self.rjsf_page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.rjsf_page.set_content('<!doctype html><html><body><div id="root"></div></body></html>')
        self.rjsf_page.add_script_tag(content=BUNDLE.read_text(encoding="utf-8"))
        self.tessera_page = self.context.new_page()
        self.script = (Path(STATIC_FOLDER) / SCRIPT).read_text(encoding="utf-8")

    def close(self) -> None:
        self.context.close()

    def rjsf(self, doc: dict[str, Any]) -> list[Control]:
        """The controls RJSF renders for the document."""
        self.errors.clear()
        self.rjsf_page.evaluate("doc => window.renderDocument(doc)", _playground(doc))
        if self.errors:
            raise RuntimeError(f"RJSF failed to render: {self.errors}")
        return controls(self.rjsf_page, "#root form")

    def tessera(self, name: str, doc: dict[str, Any]) -> tuple[list[Control], list[str]]:
        """The controls of Tessera's preview of the document, and the compiler's warnings.

        Raises DefinitionInvalid when the import refuses the document.
        """
        checked = check_definition("template", doc, _no_library_field, key=template_key(name))
        form_class = preview_form("template", checked)
        form = form_class(formdata=None, data=example_of("template", checked), meta={"csrf": False})
        self.tessera_page.set_content(
            '<!doctype html><html><body><form id="tessera" novalidate>'
            f"{form.render()}</form></body></html>"
        )
        self.tessera_page.add_script_tag(content=self.script)
        return controls(self.tessera_page, "#tessera"), [str(w) for w in form_class.warnings]

    def outcome(self, name: str) -> Outcome:
        """Render the document both ways and compare."""
        doc = load(name)
        expected = self.rjsf(doc)
        try:
            actual, warnings = self.tessera(name, doc)
        except DefinitionInvalid as exc:
            errors = {at: list(dict.fromkeys(messages)) for at, messages in exc.errors.items()}
            refusal = Difference("", "import", None, errors)
            return Outcome(name, expected, None, [[refusal] for _ in expected])
        return Outcome(name, expected, actual, compare(expected, actual), warnings)


def template_key(name: str) -> str:
    """The template key a document imports under."""
    return "parity_" + name.replace("-", "_")


def controls(page: Page, selector: str) -> list[Control]:
    """The controls under `selector`, listed by controls.js."""
    raw = page.eval_on_selector(selector, EXTRACTOR)
    return [
        Control(c["label"], c["kind"], c["required"], _frozen(c["value"])) for c in raw
    ]


def compare(rjsf: list[Control], tessera: list[Control]) -> list[list[Difference]]:
    """Per control of two lists in document order (paired, or on one side only): how it differs.

    Controls pair up by label in order (a longest common subsequence); unpaired neighbours of
    the same kind pair up in turn (a label that differs). A control on one side only is missing
    or extra, unless the other side has one of the same label and kind elsewhere: then it is
    out of order.
    """
    pairs: list[tuple[Control, Control, bool]] = []  # (RJSF's, Tessera's, out of order)
    missing: list[Control] = []
    extra: list[Control] = []
    matcher = difflib.SequenceMatcher(
        None, [c.label for c in rjsf], [c.label for c in tessera], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        left, right = rjsf[i1:i2], tessera[j1:j2]
        for a, b in zip(left, right, strict=False):
            if tag == "equal" or a.kind == b.kind:
                pairs.append((a, b, False))
            else:
                missing.append(a)
                extra.append(b)
        missing.extend(left[len(right):])
        extra.extend(right[len(left):])
    for control in list(missing):
        twin = next((c for c in extra if (c.label, c.kind) == (control.label, control.kind)), None)
        if twin is not None:
            missing.remove(control)
            extra.remove(twin)
            pairs.append((control, twin, True))
    entries: list[list[Difference]] = []
    for theirs, ours, moved in pairs:
        name = theirs.label or ours.label or ""
        found = [
            Difference(name, what, getattr(theirs, what), getattr(ours, what))
            for what in ATTRIBUTES
            if getattr(theirs, what) != getattr(ours, what)
        ]
        if moved:
            found.insert(0, Difference(name, "order", "here", "elsewhere"))
        entries.append(found)
    entries += [[Difference(c.label or "", "missing", _shown(c), None)] for c in missing]
    entries += [[Difference(c.label or "", "extra", None, _shown(c))] for c in extra]
    return entries


def _shown(control: Control) -> str:
    mark = ", required" if control.required else ""
    return f"{control.kind}{mark} = {control.value!r}"


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _playground(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc[k] for k in ("schema", "uiSchema", "formData") if k in doc}


def _no_library_field(key: str) -> None:
    """Parity documents use no library fields."""
    return None
