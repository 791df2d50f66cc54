"""Encode a JSON instance as browser form data, and the empty-state hints.

Absent vs empty (the rule): a blank input (empty text, unchecked box, no rows, no option)
reads as, in order:

1. the state named by an ``~e`` hint for that input (``-<name>`` absent, ``0<name>`` null,
   ``+<name>`` present-but-empty: "", false, [] or {...}); rendering an existing instance
   writes these hints as hidden inputs, so an untouched field keeps its state;
2. absent, when the field only applies under a condition (if/then/else, dependencies)
   that the submitted object does not meet;
3. otherwise the field's default reading: nullable → null; required string → "";
   boolean → false; required array → []; required object → its members; anything else
   optional → absent.

``j<name>`` marks a posted value written as JSON text because the instance held a value
the input cannot show (a number where the schema wants a string, say); it keeps invalid
instances invalid on the way back instead of silently coercing them. It is honoured only
for such values: JSON text the inputs could carry is ignored and the inputs are read.

Read-only values: ``encode`` writes them like any other (a browser posts them too), but
the form never reads them back: a read-only (``readOnly``, ``ui:readonly``, ``ui:disabled``)
field takes the stored value (``Form(data=...)``), else its ``default`` or ``const``, else
is absent. So ``to_instance(encode(x)) == x`` on a new form only when ``x``'s read-only
values equal their defaults.

Arrays: the no-JavaScript spare row posts its key under ``<name>/~s`` (``names.SPARE``);
posted as rendered (blank, or only its defaults) it is no item. ``encode`` never writes it.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from werkzeug.datastructures import MultiDict

from forms import names
from forms.nodes import ABSENT, Node, Pairs, encode_node

STATES = frozenset("-0+j")


def encode(root: Node, instance: Any) -> MultiDict[str, Any]:
    """Return the MultiDict a browser posts for ``instance`` (plus empty-state hints)."""
    out: Pairs = []
    encode_node(root, instance, "", out)
    return MultiDict(out)


def parse_hints(formdata: Any) -> dict[str, str]:
    """Read the ``~e`` hints of a submission into {name: state}."""
    if names.HINT_KEY not in formdata:
        return {}
    hints: dict[str, str] = {}
    for raw in formdata.getlist(names.HINT_KEY):
        if isinstance(raw, str) and raw[:1] in STATES:
            hints[raw[1:]] = raw[0]
    return hints


def hints_for(root: Node, instance: Any) -> list[str]:
    """The hint values to render as hidden inputs for an instance being edited."""
    if instance is ABSENT:
        return []
    return [str(v) for k, v in encode(root, instance).items(multi=True) if k == names.HINT_KEY]


def read_upload(upload: Any, max_size: int) -> str:
    """Turn an uploaded file into a data URL; refuse files above ``max_size`` bytes."""
    content = upload.stream.read(max_size + 1)
    if len(content) > max_size:
        raise ValueError(f"The file is larger than {_size(max_size)}.")
    mimetype = upload.mimetype or "application/octet-stream"
    name = quote(upload.filename or "file", safe="")
    encoded = base64.b64encode(content).decode("ascii")
    return f"data:{mimetype};name={name};base64,{encoded}"


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    if limit >= 1024:
        return f"{limit / 1024:g} KB"
    return f"{limit} bytes"
