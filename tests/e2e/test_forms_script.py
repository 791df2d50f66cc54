"""The browser script, driven by headless Chromium: conditions, alternatives, rows."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from forms import SCRIPT, STATIC_FOLDER, compile_form
from tests.e2e.conftest import CHROMIUM_ARGS

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


def probe_result(page: Path) -> list[str]:
    """Load `page` in headless Chromium and return the words its probe wrote to #result."""
    if CHROMIUM is None:
        pytest.fail("Chromium is missing: run `bash .ci/install-chromium`.")
    dom = subprocess.run(
        [str(CHROMIUM), *CHROMIUM_ARGS, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    found = re.search(r'<pre id="result">(.*?)</pre>', dom)
    assert found, dom[-2000:]
    return found.group(1).split()


def test_script_in_headless_chromium(tmp_path: Path) -> None:
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
    assert probe_result(page) == [
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


REFRESH_PROBE = """<script>
window.addEventListener("load", function () {
  var out = [];
  function q(s, root) { return (root || document).querySelector(s); }
  function count(s, root) { return (root || document).querySelectorAll(s).length; }
  out.push("spares=" + count("[data-tf-spare]"));
  out.push("rows=" + count('[name="/lines/~r"]'));
  q('[data-tf-array="/lines"] > [data-tf-add]').click();
  out.push("rows-after-add=" + count('[name="/lines/~r"]'));
  out.push("next-name=" + !!q('[name="/lines/1/qty"]'));
  var pane = document.getElementById("pane");
  pane.innerHTML = JSON.parse(document.getElementById("later").textContent);
  out.push("pane-spares=" + count("[data-tf-spare]", pane));
  out.push("pane-why-hidden=" + q('[data-tf-field="/why"]', pane).hasAttribute("hidden"));
  window.TesseraForms.refresh(pane);
  window.TesseraForms.refresh(pane);
  window.TesseraForms.refresh();
  out.push("pane-spares-after=" + count("[data-tf-spare]", pane));
  out.push("pane-why-hidden-after=" + q('[data-tf-field="/why"]', pane).hasAttribute("hidden"));
  q('[data-tf-array="/tags"] > [data-tf-add]', pane).click();
  out.push("pane-rows=" + count('[name="/tags/~r"]', pane));
  out.push("pane-new-row=" + !!q('[name="/tags/0"]', pane));
  var pre = document.createElement("pre"); pre.id = "result"; pre.textContent = out.join(" ");
  document.body.appendChild(pre);
});
</script>"""


def test_refresh_binds_inserted_forms_and_init_is_idempotent(tmp_path: Path) -> None:
    lines = {
        "type": "object",
        "properties": {
            "lines": {
                "type": "array",
                "items": {"type": "object", "properties": {"qty": {"type": "integer"}}},
            }
        },
    }
    first = compile_form(lines)(data={"lines": [{"qty": 1}]}).render()
    assert str(first).count("data-tf-spare") == 1
    later_schema = {
        "type": "object",
        "properties": {
            "kind": {"enum": ["a", "b"]},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "if": {"properties": {"kind": {"const": "b"}}, "required": ["kind"]},
        "then": {"properties": {"why": {"type": "string"}}},
    }
    later = str(compile_form(later_schema)(data={"kind": "a"}).render())
    script = (Path(STATIC_FOLDER) / SCRIPT).read_text(encoding="utf-8")
    later_json = json.dumps(later).replace("</", "<\\/")
    page = tmp_path / "page.html"
    page.write_text(
        f"<!doctype html><html><body><form>{first}</form><form><div id=pane></div></form>"
        f'<script type="application/json" id="later">{later_json}</script>'
        f"<script>{script}</script><script>{script}</script>{REFRESH_PROBE}</body></html>",
        encoding="utf-8",
    )
    assert probe_result(page) == [
        "spares=0",
        "rows=1",
        "rows-after-add=2",  # one row per click: loading the script twice binds once
        "next-name=true",
        "pane-spares=1",
        "pane-why-hidden=false",
        "pane-spares-after=0",
        "pane-why-hidden-after=true",
        "pane-rows=1",
        "pane-new-row=true",
    ]
