"""The browser script, driven by headless Chromium: conditions, alternatives, rows."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from forms import SCRIPT, STATIC_FOLDER, compile_form

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

PROBE = """<script>
window.addEventListener("load", function () {
  var out = [];
  function q(s) { return document.querySelector(s); }
  function fire(el) { el.dispatchEvent(new Event("change", {bubbles: true})); }
  var why = q('[data-tf-field="/why"]');
  out.push("why-hidden=" + why.hasAttribute("hidden"));
  out.push("why-disabled=" + q('[name="/why"]').disabled);
  var kind = q('[name="/kind"]'); kind.value = "b"; fire(kind);
  out.push("why-hidden-after=" + why.hasAttribute("hidden"));
  var add = q('[data-tf-array="/lines"] > [data-tf-add]'); add.click();
  out.push("rows=" + document.querySelectorAll('[name="/lines/~r"]').length);
  out.push("row1=" + !!q('[name="/lines/1/qty"]') + " add-disabled=" + add.disabled);
  var branch = q('[data-tf-branch="1"]');
  out.push("branch1-hidden=" + branch.hasAttribute("hidden"));
  var sel = q("[data-tf-selector]"); sel.value = "1"; fire(sel);
  out.push("branch1-hidden-after=" + branch.hasAttribute("hidden"));
  out.push("branch0-disabled=" + q('[data-tf-branch="0"] input').disabled);
  var pre = document.createElement("pre"); pre.id = "result"; pre.textContent = out.join(" ");
  document.body.appendChild(pre);
});
</script>"""


def test_script_in_headless_chromium(tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.fail("Chromium is missing: run `bash .ci/install-chromium`.")
    schema = {
        "type": "object",
        "properties": {
            "kind": {"enum": ["a", "b"]},
            "lines": {
                "type": "array",
                "maxItems": 2,
                "items": {"type": "object", "properties": {"qty": {"type": "integer"}}},
            },
            "pay": {
                "oneOf": [
                    {"title": "Card", "type": "object", "properties": {"no": {"type": "string"}}},
                    {"title": "Cash", "type": "object", "properties": {"amt": {"type": "number"}}},
                ]
            },
        },
        "if": {"properties": {"kind": {"const": "b"}}, "required": ["kind"]},
        "then": {"properties": {"why": {"type": "string"}}},
    }
    form = compile_form(schema)(data={"kind": "a", "lines": [{"qty": 1}]})
    script = (Path(STATIC_FOLDER) / SCRIPT).read_text(encoding="utf-8")
    page = tmp_path / "page.html"
    page.write_text(
        f"<!doctype html><html><body><form>{form.render()}</form>"
        f"<script>{script}</script>{PROBE}</body></html>",
        encoding="utf-8",
    )
    dom = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    found = re.search(r'<pre id="result">(.*?)</pre>', dom)
    assert found, dom[-2000:]
    assert found.group(1).split() == [
        "why-hidden=true",
        "why-disabled=true",
        "why-hidden-after=false",
        "rows=2",
        "row1=true",
        "add-disabled=true",
        "branch1-hidden=true",
        "branch1-hidden-after=false",
        "branch0-disabled=true",
    ]
