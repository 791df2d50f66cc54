"""The state diagram: a layered layout without overlaps, drawn as valid, escaped SVG."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.workflows.test_loader import tiny
from workflows import load_workflow
from workflows.diagram import (
    BOX_MAX_W,
    GAP_MIN,
    LABEL_FONT,
    LABEL_H,
    LABEL_ROOM,
    Arrow,
    ArrowKind,
    Box,
    Diagram,
    Words,
    layout,
    render_svg,
    text_width,
)

ROOT = Path(__file__).parents[2]
DEMO = ROOT / "app" / "demo" / "definitions" / "workflow"
DEMOS = sorted(DEMO.glob("*.json"))
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & \'quotes\''


def demo(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text("utf-8")))


def svg_tree(diagram: Diagram, words: Words | None = None) -> ET.Element:
    return ET.fromstring(render_svg(diagram, words))


def groups(tree: ET.Element, css: str, attribute: str) -> Counter[str]:
    return Counter(
        g.attrib[attribute] for g in tree.iter(f"{SVG}g") if g.attrib.get("class") == css
    )


# -- geometry the tests check ---------------------------------------------------------------


def overlaps(a: Box, b: Box) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


def cuts(p: tuple[float, float], q: tuple[float, float], box: Box) -> bool:
    """Whether a horizontal or vertical segment runs through the inside of a box."""
    (x0, y0), (x1, y1) = sorted([p, q])
    if y0 == y1:
        return box.y < y0 < box.bottom and x0 < box.right and box.x < x1
    assert x0 == x1, f"{p} → {q} is not horizontal or vertical"
    y0, y1 = sorted([p[1], q[1]])
    return box.x < x0 < box.right and y0 < box.bottom and box.y < y1


def check_forward(arrow: Arrow, d: Diagram) -> None:
    """Curves only cross the gaps between layers; straight parts only the lanes inside them."""
    points = arrow.points
    assert points[0] == (d.box(arrow.source).right, points[0][1])
    assert points[-1] == (d.box(arrow.target).x, points[-1][1])
    for i, (p, q) in enumerate(zip(points, points[1:], strict=False)):
        assert q[0] > p[0], f"{arrow.transition} goes backwards"
        if i % 2:
            assert not [b.name for b in d.boxes if cuts(p, q, b)], arrow
        else:
            assert all(b.right <= p[0] or b.x >= q[0] for b in d.boxes), arrow
    x, _ = arrow.label_at
    half = min(text_width(arrow.label, LABEL_FONT), LABEL_ROOM) / 2
    assert points[0][0] <= x - half and x + half <= points[1][0], arrow


def check_back(arrow: Arrow, d: Diagram) -> None:
    """A back arrow climbs to a lane over every box, and its path cuts through none."""
    top = min(b.y for b in d.boxes)
    lane = [p for p in arrow.points if p[1] < top]
    assert len(lane) == 2 and lane[0][1] == lane[1][1] and lane[0][0] > lane[1][0], arrow
    for p, q in zip(arrow.points, arrow.points[1:], strict=False):
        assert not [b.name for b in d.boxes if cuts(p, q, b)], arrow
    assert arrow.label_at[1] < top


def check_loop(arrow: Arrow, d: Diagram) -> None:
    """A loop hangs under its own box, clear of the box below it."""
    box = d.box(arrow.source)
    start, c1, c2, end = arrow.points
    assert start[1] == end[1] == box.bottom and box.x < c1[0] < c2[0] < box.right
    deepest = box.bottom + 0.75 * (c1[1] - box.bottom)
    below = [b for b in d.boxes if b.layer == box.layer and b.y > box.y]
    assert all(b.y > arrow.label_at[1] and b.y > deepest for b in below)


CHECKS = {ArrowKind.FORWARD: check_forward, ArrowKind.BACK: check_back, ArrowKind.LOOP: check_loop}


def check_diagram(d: Diagram, definition: dict[str, Any]) -> None:
    """Everything a drawing must be, whatever the workflow."""
    boxes = d.boxes
    assert [b.name for b in boxes] == [s["name"] for s in definition["states"]]
    pairs = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :]]
    assert not [(a.name, b.name) for a, b in pairs if overlaps(a, b)]
    assert all(0 <= b.x and b.right <= d.width and 0 <= b.y and b.bottom <= d.height for b in boxes)
    for arrow in d.arrows:
        assert all(0 <= x <= d.width and 0 <= y <= d.height for x, y in arrow.points), arrow
        CHECKS[arrow.kind](arrow, d)
    by_gap: dict[int, list[float]] = {}
    for arrow in d.arrows:
        if arrow.kind is ArrowKind.FORWARD:
            by_gap.setdefault(d.box(arrow.source).layer, []).append(arrow.label_at[1])
    for ys in by_gap.values():
        ys.sort()
        assert all(b - a >= LABEL_H - 1e-6 for a, b in zip(ys, ys[1:], strict=False)), ys
    expected = Counter(
        (t["name"], source) for t in definition["transitions"] for source in set(t["from"])
    )
    assert Counter((a.transition, a.source) for a in d.arrows) == expected


def check_svg(d: Diagram, definition: dict[str, Any]) -> None:
    tree = svg_tree(d)
    states = groups(tree, "state", "data-state")
    assert states == Counter(s["name"] for s in definition["states"])
    transitions = groups(tree, "transition", "data-transition")
    assert transitions == Counter(t["name"] for t in definition["transitions"])
    for group in tree.iter(f"{SVG}g"):
        if group.attrib.get("class") == "transition":
            name = group.attrib["data-transition"]
            sources = next(set(t["from"]) for t in definition["transitions"] if t["name"] == name)
            assert {p.attrib["data-from"] for p in group.iter(f"{SVG}path")} == sources


# -- the demo workflows ----------------------------------------------------------------------


@pytest.mark.parametrize("path", DEMOS, ids=lambda p: p.stem)
def test_demo_workflows_lay_out_without_overlaps(path: Path) -> None:
    definition = demo(path)
    diagram = layout(definition)
    check_diagram(diagram, definition)
    check_svg(diagram, definition)


@pytest.mark.parametrize("path", DEMOS, ids=lambda p: p.stem)
def test_reopen_is_drawn_back_over_the_top(path: Path) -> None:
    diagram = layout(demo(path))
    (reopen,) = [a for a in diagram.arrows if a.transition == "reopen"]
    assert reopen.kind is ArrowKind.BACK
    assert diagram.box("solved").layer > diagram.box("open").layer
    forward = [a for a in diagram.arrows if a.kind is ArrowKind.FORWARD]
    assert len(forward) > len(diagram.boxes)
    assert {a.kind for a in diagram.arrows if a.transition != "reopen"} >= {ArrowKind.FORWARD}


def test_layers_are_the_longest_path_and_keep_definition_order() -> None:
    diagram = layout(demo(DEMO / "repair.json"))
    layers = {b.name: b.layer for b in diagram.boxes}
    # new → open → waiting → solved is longer than new → solved: solved is in layer 3
    assert layers == {
        "new": 0, "open": 1, "waiting": 2, "waiting_parts": 2, "solved": 3, "closed": 4,
    }
    assert diagram.box("waiting").y < diagram.box("waiting_parts").y
    assert diagram.box("waiting").x == diagram.box("waiting_parts").x
    xs = [diagram.box(n).x for n in ("new", "open", "waiting", "solved", "closed")]
    assert xs == sorted(xs) and len(set(xs)) == 5


def test_an_edge_skipping_layers_runs_below_the_boxes_it_passes() -> None:
    diagram = layout(demo(DEMO / "repair.json"))
    (solve,) = [a for a in diagram.arrows if a.transition == "solve" and a.source == "new"]
    passed = [p for p in solve.points[1:-1]]
    assert len(passed) == 4  # enters and leaves layers 1 and 2
    assert all(y > diagram.box("waiting_parts").bottom for _, y in passed[2:])


def test_a_self_loop_is_a_small_loop_under_its_box() -> None:
    body = tiny()
    body["transitions"].append(
        {"name": "note", "label": "Add a note", "from": ["open"], "to": "open", "roles": ["agent"]}
    )
    body["transitions"].append(
        {"name": "poke", "from": ["open", "new"], "to": "open", "roles": ["agent"]}
    )
    diagram = layout(body)
    loops = [a for a in diagram.arrows if a.kind is ArrowKind.LOOP]
    assert [(a.transition, a.source) for a in loops] == [("note", "open"), ("poke", "open")]
    assert loops[0].label_at[1] < loops[1].label_at[1]  # nested: labels stacked
    check_diagram(diagram, body)
    check_svg(diagram, body)


# -- text -------------------------------------------------------------------------------------


def hostile() -> dict[str, Any]:
    body = tiny(title=HOSTILE)
    body["states"][1]["label"] = HOSTILE
    body["transitions"][2]["label"] = HOSTILE + " \x01\x0b"
    return body


def test_hostile_labels_are_escaped() -> None:
    svg = render_svg(layout(hostile()))
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert "\x01" not in svg and "\x0b" not in svg
    tree = ET.fromstring(svg)
    titles = [t.text or "" for t in tree.iter(f"{SVG}title")]
    assert titles[0].startswith(HOSTILE)  # the document's title, read back as it was written
    assert any(t.startswith(HOSTILE) for t in titles[1:])
    texts = [t.text or "" for t in tree.iter(f"{SVG}text")]
    assert any(t.startswith('<script>alert("x")') for t in texts)


def test_the_svg_is_accessible_and_self_contained() -> None:
    svg = render_svg(layout(tiny()))
    tree = ET.fromstring(svg)
    assert tree.tag == f"{SVG}svg" and tree.attrib["role"] == "img"
    title, desc = tree.find(f"{SVG}title"), tree.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert tree.attrib["aria-labelledby"] == f"{title.attrib['id']} {desc.attrib['id']}"
    assert desc.text == "4 states and 4 transitions; new tickets start in new."
    for word in ("<script", "href", "@import", "@font-face", "url(http", "<image", "<foreign"):
        assert word not in svg
    assert not re.search(r"\son[a-z]+=", svg)  # no event handlers
    marker = title.attrib["id"].removesuffix("-title") + "-head"
    assert set(re.findall(r"url\(([^)]*)\)", svg)) == {f"#{marker}"}  # nothing from outside


def test_the_app_can_pass_its_own_words() -> None:
    words = Words("Flujo", "Cuatro estados", {"new": "nuevo", "open": "abierto"})
    tree = svg_tree(layout(tiny()), words)
    assert tree.find(f"{SVG}title").text == "Flujo"  # type: ignore[union-attr]
    (legend,) = [g for g in tree.iter(f"{SVG}g") if g.attrib.get("class") == "legend"]
    assert [t.text for t in legend.iter(f"{SVG}text")] == ["nuevo", "abierto", "solved", "closed"]


def test_long_labels_are_cut_to_fit_their_box() -> None:
    body = tiny()
    body["states"][0]["label"] = "A very long label " * 10
    diagram = layout(body)
    assert diagram.box("new").width == BOX_MAX_W
    shown = [t.text or "" for t in svg_tree(diagram).iter(f"{SVG}text")]
    assert any(t.startswith("A very long label") and t.endswith("…") for t in shown)


# -- determinism ------------------------------------------------------------------------------


def test_the_same_definition_gives_the_same_drawing() -> None:
    definition = demo(DEMO / "repair.json")
    assert layout(definition) == layout(load_workflow(definition))
    assert render_svg(layout(definition)) == render_svg(layout(json.loads(json.dumps(definition))))


def test_the_drawing_does_not_depend_on_hash_seeds() -> None:
    script = (
        "import json, sys; from workflows.diagram import layout, render_svg; "
        "print(render_svg(layout(json.load(open(sys.argv[1])))))"
    )
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"  # not this process's seed
    run = subprocess.run(
        [sys.executable, "-c", script, str(DEMO / "repair.json")],
        capture_output=True, text=True, check=True, cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": seed},
    )
    assert run.stdout == render_svg(layout(demo(DEMO / "repair.json"))) + "\n"


# -- any workflow, up to the 50 states a definition may have ---------------------------------


@st.composite
def workflows(draw: st.DrawFn, most: int = 50) -> dict[str, Any]:
    """A loadable workflow: a random tree from the initial state plus random extra transitions."""
    count = draw(st.integers(2, most))
    names = [f"s{i}" for i in range(count)]
    edges = [([names[draw(st.integers(0, i - 1))]], names[i]) for i in range(1, count)]
    pick = st.sampled_from(names)
    extra = draw(st.lists(st.tuples(st.lists(pick, min_size=1, max_size=3), pick), max_size=count))
    edges += [(sorted(set(sources)), to) for sources, to in extra]
    label = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)
    sources = {s for group, _ in edges for s in group}
    order = draw(st.permutations(names))
    return {
        "key": "random",
        "title": draw(label),
        "states": [
            {
                "name": n,
                "label": draw(label),
                "category": draw(st.sampled_from(["new", "open", "waiting", "solved", "closed"]))
                if n in sources else "closed",
            }
            for n in order
        ],
        "initial": "s0",
        "transitions": [
            {"name": f"t{i}", "label": draw(label), "from": group, "to": to, "roles": ["agent"]}
            for i, (group, to) in enumerate(edges)
        ],
    }


@settings(max_examples=40, deadline=None)
@given(workflows())
def test_any_workflow_lays_out_without_overlaps(definition: dict[str, Any]) -> None:
    diagram = layout(definition)
    check_diagram(diagram, definition)
    check_svg(diagram, definition)
    assert render_svg(diagram) == render_svg(layout(definition))


def test_fifty_states_stay_compact() -> None:
    names = [f"s{i}" for i in range(50)]
    chain = {
        "key": "chain",
        "title": "Chain",
        "states": [{"name": n, "category": "open"} for n in names[:-1]]
        + [{"name": names[-1], "category": "closed"}],
        "initial": "s0",
        "transitions": [
            {"name": f"t{i}", "from": [a], "to": b, "roles": ["agent"]}
            for i, (a, b) in enumerate(zip(names, names[1:], strict=False))
        ]
        + [{"name": "back", "from": [names[-1]], "to": "s0", "roles": ["agent"]}],
    }
    diagram = layout(chain)
    check_diagram(diagram, chain)
    widths = {b.width for b in diagram.boxes}
    assert max(widths) < 100  # short names: the narrowest boxes
    gaps = {round(b.x - a.right, 1) for a, b in zip(diagram.boxes, diagram.boxes[1:], strict=False)}
    assert gaps == {GAP_MIN}
    star = {**chain, "transitions": [
        {"name": f"t{i}", "from": ["s0"], "to": n, "roles": ["agent"]}
        for i, n in enumerate(names[1:])
    ]}
    star["states"] = [{"name": "s0", "category": "new"}] + [
        {"name": n, "category": "closed"} for n in names[1:]
    ]
    tall = layout(star)
    check_diagram(tall, star)
    assert {b.layer for b in tall.boxes} == {0, 1}
    assert tall.height < 49 * 80
