"""A workflow's state diagram: a deterministic layered layout, drawn as a standalone SVG.

`layout` gives every state a box. Its layer (the x axis) is the longest path from the initial
state once the edges pointing back have been set aside; which edges point back is decided by a
depth-first search from the initial state in definition order. Within a layer the states keep
their definition order, and the lanes of forward arrows that skip the layer come after them, so
no arrow runs through a box. Back arrows (reopen) leave and enter their boxes from above and
run in lanes over the drawing, nested so that they do not overlap each other or the forward
arrows; a box that is not the first of its layer sends them up the gap beside it instead. A
transition from a state to itself is a small loop under its box.

`render_svg` draws a `Diagram` with SVG alone: no script, no external font, every text escaped.
"""

from __future__ import annotations

import enum
import heapq
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any, NamedTuple

from workflows.engine import Workflow
from workflows.loader import load_workflow
from workflows.model import Category

Point = tuple[float, float]
Port = tuple[tuple[int, float, int], int, str]  # (sort key, edge, "out" or "in")

FONT, SMALL, LABEL_FONT = 12.0, 10.0, 11.0  # px: state labels, state names, arrow labels
BOX_H, BOX_MIN_W, BOX_MAX_W, BOX_PAD = 44.0, 96.0, 200.0, 10.0
ROW_GAP, DUMMY_STEP = 28.0, 16.0  # between boxes of a layer; between lanes that skip it
GAP_MIN, GAP_MAX, LABEL_PAD, LABEL_H = 56.0, 200.0, 10.0, 15.0
LANE_BASE, LANE_STEP, RUN_STEP, CORNER = 18.0, 22.0, 8.0, 10.0
LABEL_ROOM = GAP_MAX - 2 * LABEL_PAD  # the widest arrow label; longer ones are cut
LOOP_DEPTH, LOOP_STEP, LOOP_HALF = 26.0, 10.0, 9.0
MARGIN, START_SPACE, LEGEND_H = 16.0, 30.0, 30.0

# Fill and stroke per category: lists, reports and the SLA clock read the category, so the
# diagram shows it too.
COLOURS: Mapping[str, tuple[str, str]] = {
    Category.NEW: ("#e8f1fb", "#2f6fb5"),
    Category.OPEN: ("#fff3dc", "#b86e00"),
    Category.WAITING: ("#f3eafb", "#7b4bb0"),
    Category.SOLVED: ("#e5f5e9", "#2e7d3e"),
    Category.CLOSED: ("#eeeeee", "#5f5f5f"),
}
INK, MUTED, HALO = "#333333", "#666666", "#ffffff"
FONTS = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Noto Sans CJK SC', sans-serif"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class ArrowKind(enum.StrEnum):
    """How an arrow is drawn: forward (left to right), back (over the top), or a loop."""

    FORWARD = "forward"
    BACK = "back"
    LOOP = "loop"


@dataclass(frozen=True)
class Box:
    """One state, placed: `x`, `y` is the top left corner."""

    name: str
    label: str
    category: str
    layer: int
    x: float
    y: float
    width: float
    height: float
    initial: bool = False

    @property
    def right(self) -> float:
        """The x of the right side."""
        return self.x + self.width

    @property
    def bottom(self) -> float:
        """The y of the bottom side."""
        return self.y + self.height


@dataclass(frozen=True)
class Arrow:
    """One transition from one of its source states, with the points its path goes through.

    Forward: port, then (enter, leave) per layer it skips, then port, joined by curves between
    layers and lines inside them. Back: corners of a rounded orthogonal path. Loop: a cubic
    Bézier's start, two control points and end. `label_at` is the label's centre baseline.
    """

    transition: str
    label: str
    source: str
    target: str
    kind: ArrowKind
    points: tuple[Point, ...]
    label_at: Point


@dataclass(frozen=True)
class Diagram:
    """A laid-out workflow: boxes in definition order, arrows in transition order."""

    key: str
    title: str
    initial: str
    width: float
    height: float
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]

    def box(self, name: str) -> Box:
        """The box of a state."""
        return next(b for b in self.boxes if b.name == name)


@dataclass(frozen=True)
class Words:
    """The diagram's own words (the app passes translated ones): title, summary, categories."""

    title: str
    summary: str
    categories: Mapping[str, str] = field(
        default_factory=lambda: {c.value: c.value for c in Category}
    )


class _Edge(NamedTuple):
    order: int
    transition: str
    label: str
    source: str
    target: str


# -- text measures ----------------------------------------------------------------------------


def text_width(text: str, size: float) -> float:
    """An estimate of the text's width in px: wide (CJK) characters 1 em, the others 0.58 em."""
    return sum(size * (1.0 if unicodedata.east_asian_width(c) in "WF" else 0.58) for c in text)


def _fit(text: str, size: float, room: float) -> str:
    """The text, cut with an ellipsis where it would be wider than `room`."""
    text = _NOT_XML.sub("", text)
    if text_width(text, size) <= room:
        return text
    while text and text_width(text + "…", size) > room:
        text = text[:-1]
    return text + "…"


# -- layout -----------------------------------------------------------------------------------


def layout(source: Workflow | Mapping[str, Any]) -> Diagram:
    """Place the states and route the transitions of a workflow (or a definition, loaded first)."""
    workflow = source if isinstance(source, Workflow) else load_workflow(source)
    return _Layout(workflow).diagram()


def _edges(workflow: Workflow) -> list[_Edge]:
    order = {name: i for i, name in enumerate(workflow.states)}
    edges: list[_Edge] = []
    for t in workflow.parts.transitions:
        for source in sorted(t.sources, key=order.__getitem__):
            edges.append(_Edge(len(edges), t.name, t.label, source, t.to))
    return edges


def back_edges(names: Sequence[str], edges: Sequence[_Edge], initial: str) -> set[int]:
    """The edges a depth-first search (from `initial`, in definition order) finds pointing back."""
    out: dict[str, list[_Edge]] = {n: [] for n in names}
    for e in edges:
        if e.source != e.target:
            out[e.source].append(e)
    status: dict[str, bool] = {}  # True while on the search path, False once finished
    back: set[int] = set()
    for root in (initial, *names):
        if root in status:
            continue
        status[root] = True
        stack = [(root, iter(out[root]))]
        while stack:
            node, pending = stack[-1]
            step = next(pending, None)
            if step is None:
                status[node] = False
                stack.pop()
            elif status.get(step.target) is True:
                back.add(step.order)
            elif step.target not in status:
                status[step.target] = True
                stack.append((step.target, iter(out[step.target])))
    return back


def longest_path_layers(names: Sequence[str], forward: Iterable[_Edge]) -> dict[str, int]:
    """Each state's layer: the longest path to it over the (acyclic) forward edges."""
    order = {n: i for i, n in enumerate(names)}
    succ: dict[str, list[str]] = defaultdict(list)
    indegree = dict.fromkeys(names, 0)
    for e in forward:
        succ[e.source].append(e.target)
        indegree[e.target] += 1
    layer = dict.fromkeys(names, 0)
    ready = [(order[n], n) for n in names if indegree[n] == 0]
    heapq.heapify(ready)
    while ready:
        _, node = heapq.heappop(ready)
        for target in succ[node]:
            layer[target] = max(layer[target], layer[node] + 1)
            indegree[target] -= 1
            if indegree[target] == 0:
                heapq.heappush(ready, (order[target], target))
    return layer


def _along(ports: list[Port], start: float, length: float) -> list[tuple[int, str, float]]:
    """Ends spread evenly along one side of a box, in the order of their sort keys."""
    count = len(ports)
    places = [start + length * (i + 1) / (count + 1) for i in range(count)]
    return [(index, end, at) for (_, index, end), at in zip(sorted(ports), places, strict=True)]


class _Layout:
    """The steps of `layout`, sharing what earlier steps found."""

    def __init__(self, workflow: Workflow) -> None:
        self.wf = workflow
        self.names = list(workflow.states)
        self.edges = _edges(workflow)
        back = back_edges(self.names, self.edges, workflow.parts.initial)
        self.kind = {
            e.order: ArrowKind.LOOP if e.source == e.target
            else ArrowKind.BACK if e.order in back else ArrowKind.FORWARD
            for e in self.edges
        }
        self.layer = longest_path_layers(self.names, self.of(ArrowKind.FORWARD))
        self.columns: list[list[str]] = [[] for _ in range(max(self.layer.values()) + 1)]
        for name in self.names:
            self.columns[self.layer[name]].append(name)
        self.slot = {name: col.index(name) for col in self.columns for name in col}
        self.loops = {n: [e for e in self.of(ArrowKind.LOOP) if e.source == n] for n in self.names}
        self.ends: dict[tuple[int, str], Point] = {}
        self.dummies: dict[tuple[int, int], float] = {}

    def of(self, kind: ArrowKind) -> list[_Edge]:
        return [e for e in self.edges if self.kind[e.order] is kind]

    def side_attached(self, e: _Edge, end: str) -> bool:
        """A back edge's end at a box below another one goes up the gap beside it."""
        return self.slot[e.source if end == "out" else e.target] != 0

    def diagram(self) -> Diagram:
        """Run the steps in order: x, lanes (they set where the boxes start), y, ports, arrows."""
        self.place_columns()
        self.assign_lanes()
        self.place_rows()
        self.place_ports()
        routes = {e.order: _ROUTES[self.kind[e.order]](self, e) for e in self.edges}
        self.spread_labels(routes)
        arrows = tuple(
            Arrow(e.transition, e.label, e.source, e.target, self.kind[e.order], *routes[e.order])
            for e in self.edges
        )
        boxes = tuple(self.boxes[n] for n in self.names)
        width, height = self.extent(boxes, arrows)
        parts = self.wf.parts
        return Diagram(parts.key, parts.title, parts.initial, width, height, boxes, arrows)

    # x: columns and the gaps between them

    def place_columns(self) -> None:
        """Each layer as wide as its widest label; each gap as wide as its widest arrow label."""
        states = self.wf.states
        self.widths = [
            min(BOX_MAX_W, max(BOX_MIN_W, *(self.box_text(states[n].label, n) for n in col)))
            for col in self.columns
        ]
        runs = [0] * len(self.columns)
        for e in self.of(ArrowKind.BACK):
            runs[self.layer[e.source] - 1] += self.side_attached(e, "out")
            runs[self.layer[e.target]] += self.side_attached(e, "in")
        labels: dict[int, float] = defaultdict(float)
        for e in self.of(ArrowKind.FORWARD):
            width = text_width(e.label, LABEL_FONT) + 2 * LABEL_PAD
            labels[self.layer[e.source]] = max(labels[self.layer[e.source]], width)
        self.gaps = [
            min(GAP_MAX, max(GAP_MIN, labels[i])) + RUN_STEP * (runs[i] + 1 if runs[i] else 0)
            for i in range(len(self.columns))
        ]
        self.xs = [MARGIN + START_SPACE]
        for width, gap in zip(self.widths, self.gaps, strict=False):
            self.xs.append(self.xs[-1] + width + gap)

    @staticmethod
    def box_text(label: str, name: str) -> float:
        return max(text_width(label, FONT), text_width(name, SMALL)) + 2 * BOX_PAD

    def assign_lanes(self) -> None:
        """Give each back edge the lowest lane where it overlaps nothing (shortest spans first)."""
        lanes: list[list[tuple[float, float]]] = []
        self.lane: dict[int, int] = {}
        backs = self.of(ArrowKind.BACK)
        for e in sorted(backs, key=lambda e: (self.layer[e.source] - self.layer[e.target], e)):
            left = self.xs[self.layer[e.target]] - RUN_STEP * 2
            right = self.xs[self.layer[e.source]] + self.widths[self.layer[e.source]] + RUN_STEP * 2
            half = min(LABEL_ROOM, text_width(e.label, LABEL_FONT)) / 2 + LABEL_PAD
            middle = (left + right) / 2
            span = (min(left, middle - half), max(right, middle + half))
            level = next(
                (i for i, used in enumerate(lanes)
                 if all(span[1] < a or b < span[0] for a, b in used)),
                len(lanes),
            )
            if level == len(lanes):
                lanes.append([])
            lanes[level].append(span)
            self.lane[e.order] = level
        self.top = MARGIN + (LABEL_H + LANE_BASE + LANE_STEP * (len(lanes) - 1) if lanes else 0)

    def lane_y(self, e: _Edge) -> float:
        return self.top - LANE_BASE - LANE_STEP * self.lane[e.order]

    # y: boxes in definition order, then the lanes of forward edges skipping the layer

    def place_rows(self) -> None:
        """Top-aligned layers: the first state of every layer is on one line."""
        states = self.wf.states
        self.boxes: dict[str, Box] = {}
        self.bottoms: list[float] = []
        skipping = [e for e in self.of(ArrowKind.FORWARD) if self.span(e) > 1]
        for layer, col in enumerate(self.columns):
            y = self.top
            for name in col:
                state = states[name]
                self.boxes[name] = Box(
                    name, state.label, state.category.value, layer, self.xs[layer], y,
                    self.widths[layer], BOX_H, name == self.wf.parts.initial,
                )
                y += BOX_H + max(ROW_GAP, self.loop_room(name))
            here = [e for e in skipping if self.layer[e.source] < layer < self.layer[e.target]]
            for e in sorted(here, key=lambda e: (self.before(e, layer), e.order)):
                self.dummies[(e.order, layer)] = y
                y += DUMMY_STEP
            self.bottoms.append(y)

    def span(self, e: _Edge) -> int:
        return self.layer[e.target] - self.layer[e.source]

    def before(self, e: _Edge, layer: int) -> float:
        """The y an edge arrives at `layer` from: its source's middle or its previous lane."""
        if self.layer[e.source] == layer - 1:
            box = self.boxes[e.source]
            return box.y + box.height / 2
        return self.dummies[(e.order, layer - 1)]

    def after(self, e: _Edge, layer: int) -> float:
        """The y an edge leaves `layer` towards: its next lane or its target's middle."""
        if self.layer[e.target] == layer + 1:
            box = self.boxes[e.target]
            return box.y + box.height / 2
        return self.dummies[(e.order, layer + 1)]

    def loop_room(self, name: str) -> float:
        count = len(self.loops[name])
        if not count:
            return 0.0
        return self.loop_depth(count - 1) * 0.75 + 10 + count * LABEL_H

    @staticmethod
    def loop_depth(k: int) -> float:
        return LOOP_DEPTH + LOOP_STEP * k

    # ports: where arrows touch their boxes

    def place_ports(self) -> None:
        """Forward arrows leave on the right and arrive on the left; back ones use the top."""
        left: dict[str, list[Port]] = defaultdict(list)
        right: dict[str, list[Port]] = defaultdict(list)
        top: dict[str, list[Port]] = defaultdict(list)
        for e in self.of(ArrowKind.FORWARD):
            out_y = self.after(e, self.layer[e.source])
            in_y = self.before(e, self.layer[e.target])
            right[e.source].append(((1, out_y, e.order), e.order, "out"))
            left[e.target].append(((1, in_y, e.order), e.order, "in"))
        for e in self.of(ArrowKind.BACK):
            lane = self.lane[e.order]
            (left if self.side_attached(e, "out") else top)[e.source].append(
                ((0, lane, e.order), e.order, "out")
            )
            (right if self.side_attached(e, "in") else top)[e.target].append(
                ((2, -lane, e.order), e.order, "in")
            )
        for name, box in self.boxes.items():
            for index, end, y in _along(left[name], box.y, box.height):
                self.ends[(index, end)] = (box.x, y)
            for index, end, y in _along(right[name], box.y, box.height):
                self.ends[(index, end)] = (box.right, y)
            for index, end, x in _along(top[name], box.x, box.width):
                self.ends[(index, end)] = (x, box.y)
        self.place_runs()

    def place_runs(self) -> None:
        """Side-attached back edges climb the gap: the lower the end, the farther from the box."""
        self.runs: dict[tuple[int, str], float] = {}
        by_gap: dict[tuple[int, str], list[tuple[float, int]]] = defaultdict(list)
        for e in self.of(ArrowKind.BACK):
            for end, name in (("out", e.source), ("in", e.target)):
                if self.side_attached(e, end):
                    by_gap[(self.layer[name], end)].append((self.ends[(e.order, end)][1], e.order))
        for (layer, end), items in by_gap.items():
            for k, (_, index) in enumerate(sorted(items), start=1):
                if end == "out":  # leaves its box to the left
                    self.runs[(index, end)] = self.xs[layer] - RUN_STEP * k
                else:
                    self.runs[(index, end)] = self.xs[layer] + self.widths[layer] + RUN_STEP * k

    # arrows: points and label positions

    def forward(self, e: _Edge) -> tuple[tuple[Point, ...], Point]:
        points = [self.ends[(e.order, "out")]]
        for layer in range(self.layer[e.source] + 1, self.layer[e.target]):
            y = self.dummies[(e.order, layer)]
            points += [(self.xs[layer], y), (self.xs[layer] + self.widths[layer], y)]
        points.append(self.ends[(e.order, "in")])
        (x0, y0), (x1, y1) = points[0], points[1]
        return tuple(points), ((x0 + x1) / 2, (y0 + y1) / 2 + 4)

    def back(self, e: _Edge) -> tuple[tuple[Point, ...], Point]:
        lane = self.lane_y(e)
        start, end = self.ends[(e.order, "out")], self.ends[(e.order, "in")]
        if self.side_attached(e, "out"):
            run = self.runs[(e.order, "out")]
            head = [start, (run, start[1]), (run, lane)]
        else:
            head = [start, (start[0], lane)]
        if self.side_attached(e, "in"):
            run = self.runs[(e.order, "in")]
            tail = [(run, lane), (run, end[1]), end]
        else:
            tail = [(end[0], lane), end]
        middle = (head[-1][0] + tail[0][0]) / 2
        return tuple(head + tail), (middle, lane - 5)

    def loop(self, e: _Edge) -> tuple[tuple[Point, ...], Point]:
        box = self.boxes[e.source]
        mine = self.loops[e.source]
        k = mine.index(e)
        depth, half = self.loop_depth(k), LOOP_HALF + 5 * k
        middle, bottom = box.x + box.width / 2, box.bottom
        a, b = (middle - half, bottom), (middle + half, bottom)
        c1, c2 = (a[0] - 16, bottom + depth), (b[0] + 16, bottom + depth)
        deepest = self.loop_depth(len(mine) - 1) * 0.75
        return (a, c1, c2, b), (middle, bottom + deepest + 2 + LABEL_H * (k + 1) - 3)

    def spread_labels(self, routes: dict[int, tuple[tuple[Point, ...], Point]]) -> None:
        """Forward labels in one gap are pushed down until no two overlap."""
        by_gap: dict[int, list[tuple[float, int]]] = defaultdict(list)
        for e in self.of(ArrowKind.FORWARD):
            by_gap[self.layer[e.source]].append((routes[e.order][1][1], e.order))
        for items in by_gap.values():
            floor = float("-inf")
            for y, index in sorted(items):
                points, (x, _) = routes[index]
                routes[index] = points, (x, max(y, floor))
                floor = max(y, floor) + LABEL_H

    def extent(self, boxes: Sequence[Box], arrows: Sequence[Arrow]) -> tuple[float, float]:
        right = max(b.right for b in boxes)
        bottom = max([*self.bottoms, *(b.bottom for b in boxes)])
        for a in arrows:
            half = min(text_width(a.label, LABEL_FONT), LABEL_ROOM) / 2
            right = max(right, a.label_at[0] + half, *(x for x, _ in a.points))
            bottom = max(bottom, a.label_at[1] + 4, *(y for _, y in a.points))
        return right + MARGIN, bottom + LEGEND_H + MARGIN


_ROUTES = {ArrowKind.FORWARD: _Layout.forward, ArrowKind.BACK: _Layout.back,
           ArrowKind.LOOP: _Layout.loop}


# -- SVG --------------------------------------------------------------------------------------


def default_words(diagram: Diagram) -> Words:
    """The diagram's words in English."""
    count = len({a.transition for a in diagram.arrows})
    initial = diagram.box(diagram.initial).label
    return Words(
        f"{diagram.title}: states and transitions",
        f"{len(diagram.boxes)} states and {count} transitions; new tickets start in {initial}.",
    )


def render_svg(diagram: Diagram, words: Words | None = None) -> str:
    """The diagram as one `<svg>` element: a standalone document, or inlined in an HTML page."""
    words = words or default_words(diagram)
    ident = "wf-diagram-" + re.sub(r"[^a-z0-9_-]", "-", diagram.key.lower())
    head = f"url(#{ident}-head)"
    legend, legend_width = _legend(diagram, words)
    width, height = _n(max(diagram.width, legend_width)), _n(diagram.height)
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="tessera-diagram" role="img" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'aria-labelledby="{ident}-title {ident}-desc" font-family="{_e(FONTS)}" '
            f'font-size="{_n(FONT)}">',
            f'<title id="{ident}-title">{_e(words.title)}</title>',
            f'<desc id="{ident}-desc">{_e(words.summary)}</desc>',
            f'<defs><marker id="{ident}-head" viewBox="0 0 10 10" refX="9" refY="5" '
            f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker></defs>',
            '<g class="transitions">',
            *_transitions(diagram, head),
            "</g>",
            '<g class="states">',
            *(_box(box, words) for box in diagram.boxes),
            _start_mark(diagram.box(diagram.initial), head),
            "</g>",
            legend,
            "</svg>",
        ]
    )


def _e(text: str) -> str:
    """Escaped for XML text and attributes, without the characters XML cannot hold at all."""
    return escape(_NOT_XML.sub("", text), quote=True)


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _p(point: Point) -> str:
    return f"{_n(point[0])},{_n(point[1])}"


def _box(box: Box, words: Words) -> str:
    fill, stroke = COLOURS.get(box.category, COLOURS[Category.CLOSED])
    middle = box.x + box.width / 2
    category = words.categories.get(box.category, box.category)
    room = box.width - BOX_PAD
    return (
        f'<g class="state" data-state="{_e(box.name)}" data-category="{_e(box.category)}">'
        f"<title>{_e(box.label)} ({_e(box.name)}): {_e(category)}</title>"
        f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.width)}" '
        f'height="{_n(box.height)}" rx="6" fill="{fill}" stroke="{stroke}" '
        f'stroke-width="{"2.5" if box.initial else "1.5"}"/>'
        f'<text x="{_n(middle)}" y="{_n(box.y + 19)}" text-anchor="middle" font-weight="600" '
        f'fill="{INK}">{_e(_fit(box.label, FONT, room))}</text>'
        f'<text x="{_n(middle)}" y="{_n(box.y + 34)}" text-anchor="middle" '
        f'font-size="{_n(SMALL)}" fill="{MUTED}">{_e(_fit(box.name, SMALL, room))}</text></g>'
    )


def _start_mark(box: Box, head: str) -> str:
    """UML's initial pseudo-state: a dot with an arrow into the initial state."""
    y, x = box.y + box.height / 2, box.x - START_SPACE
    return (
        f'<g class="start"><circle cx="{_n(x + 6)}" cy="{_n(y)}" r="5" fill="{INK}"/>'
        f'<path d="M{_n(x + 11)},{_n(y)} H{_n(box.x - 1)}" stroke="{INK}" '
        f'stroke-width="1.4" marker-end="{head}"/></g>'
    )


def _transitions(diagram: Diagram, head: str) -> list[str]:
    """One group per transition, with an arrow from each of its source states."""
    groups: dict[str, list[Arrow]] = {}
    for arrow in diagram.arrows:
        groups.setdefault(arrow.transition, []).append(arrow)
    lines = []
    for name, arrows in groups.items():
        lines.append(
            f'<g class="transition" data-transition="{_e(name)}">'
            f"<title>{_e(arrows[0].label)} ({_e(name)})</title>"
        )
        lines += [_arrow(a, head) for a in arrows]
        lines.append("</g>")
    return lines


def _arrow(arrow: Arrow, head: str) -> str:
    dash = ' stroke-dasharray="5 3"' if arrow.kind is ArrowKind.BACK else ""
    x, y = arrow.label_at
    label = _fit(arrow.label, LABEL_FONT, LABEL_ROOM)
    width = text_width(label, LABEL_FONT) + 4
    return (
        f'<path class="arrow arrow-{arrow.kind}" data-from="{_e(arrow.source)}" '
        f'data-to="{_e(arrow.target)}" d="{_PATHS[arrow.kind](arrow.points)}" fill="none" '
        f'stroke="{INK}" stroke-width="1.4"{dash} marker-end="{head}"/>'
        f'<rect x="{_n(x - width / 2)}" y="{_n(y - LABEL_FONT)}" width="{_n(width)}" '
        f'height="{_n(LABEL_FONT + 3)}" rx="2" fill="{HALO}" fill-opacity="0.85"/>'
        f'<text class="arrow-label" x="{_n(x)}" y="{_n(y)}" text-anchor="middle" '
        f'font-size="{_n(LABEL_FONT)}" fill="{INK}">{_e(label)}</text>'
    )


def _forward_path(points: Sequence[Point]) -> str:
    """Curves between layers, straight lines through the layers an arrow skips."""
    path = [f"M{_p(points[0])}"]
    for i, ((x0, y0), (x1, y1)) in enumerate(zip(points, points[1:], strict=False)):
        if i % 2:
            path.append(f"L{_p((x1, y1))}")
        else:
            dx = (x1 - x0) / 2
            path.append(f"C{_p((x0 + dx, y0))} {_p((x1 - dx, y1))} {_p((x1, y1))}")
    return " ".join(path)


def _rounded_path(points: Sequence[Point]) -> str:
    """An orthogonal path whose corners are rounded."""
    path = [f"M{_p(points[0])}"]
    for before, corner, after in zip(points, points[1:], points[2:], strict=False):
        path.append(f"L{_p(_towards(corner, before))}")
        path.append(f"Q{_p(corner)} {_p(_towards(corner, after))}")
    path.append(f"L{_p(points[-1])}")
    return " ".join(path)


def _towards(corner: Point, other: Point) -> Point:
    """The point a corner's rounding starts at, on the side of `other`."""
    dx, dy = other[0] - corner[0], other[1] - corner[1]
    length = abs(dx) + abs(dy)  # the segments are horizontal or vertical
    if length == 0:
        return corner
    step = min(CORNER, length / 2) / length
    return (corner[0] + dx * step, corner[1] + dy * step)


def _loop_path(points: Sequence[Point]) -> str:
    start, c1, c2, end = points
    return f"M{_p(start)} C{_p(c1)} {_p(c2)} {_p(end)}"


_PATHS = {
    ArrowKind.FORWARD: _forward_path,
    ArrowKind.BACK: _rounded_path,
    ArrowKind.LOOP: _loop_path,
}


def _legend(diagram: Diagram, words: Words) -> tuple[str, float]:
    """The categories the workflow uses, with their colours; and the width they need."""
    used = {b.category for b in diagram.boxes}
    y = diagram.height - MARGIN - LEGEND_H / 2
    x, items = MARGIN, []
    for category in (c.value for c in Category if c.value in used):
        fill, stroke = COLOURS[category]
        name = _fit(words.categories.get(category, category), LABEL_FONT, LABEL_ROOM)
        items.append(
            f'<rect x="{_n(x)}" y="{_n(y - 6)}" width="12" height="12" rx="2" fill="{fill}" '
            f'stroke="{stroke}"/><text x="{_n(x + 18)}" y="{_n(y + 4)}" '
            f'font-size="{_n(LABEL_FONT)}" fill="{INK}">{_e(name)}</text>'
        )
        x += 18 + text_width(name, LABEL_FONT) + 18
    return f'<g class="legend">{"".join(items)}</g>', x + MARGIN
