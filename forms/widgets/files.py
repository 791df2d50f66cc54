"""The multiple file input of an array of files, as RJSF's files widget renders it.

One ``<input type="file" multiple>`` for the files to add, then the files the value holds,
each by its name with a hidden input that posts it back (so an untouched list is kept) and a
button that removes it (the script removes the row, and with it the hidden input).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from markupsafe import Markup

from forms import names
from forms.i18n import _
from forms.nodes import FilesNode
from forms.protocols import ScalarView
from forms.widgets.html import Attrs, common, join, raw_values, tag

# `<scheme>:<...>;name=<pct-encoded>`: a data URL as RJSF writes it, or a stored reference
_NAMED = re.compile(r"[a-z][a-z0-9+.-]*:[^;,]*;name=([^;,]*)")


def file_name(value: str) -> str | None:
    """The file name a file field's value carries (``name=``), or None."""
    found = _NAMED.match(value)
    return unquote(found.group(1)) if found else None


def files_input(field: ScalarView, kwargs: Attrs) -> Markup:
    """The file input taking several files, and the files already there."""
    node = field.node
    assert isinstance(node, FilesNode)
    current = [v for v in raw_values(field) if isinstance(v, str) and v]
    fixed = node.disabled or node.readonly
    values = common(field, kwargs)
    values.update(
        {
            "type": "file",
            "multiple": True,
            "accept": node.item.accept,
            "required": node.required and not node.nullable and not current,
            "disabled": fixed,
            "data-tf-max-size": node.item.max_size,
        }
    )
    parts = [tag("input", values)]
    if current:
        name = names.input_name(field.name)
        rows = []
        for i, value in enumerate(current):
            keep = tag("input", {"type": "hidden", "name": name, "value": value})
            shown = tag("strong", {}, file_name(value) or _("file"))
            remove = {"type": "button", "class": "btn btn-link btn-sm", "data-tf-remove": True}
            button = Markup("") if fixed else tag("button", remove, _("Remove"))
            rows.append(tag("li", {"data-tf-row": str(i)}, join([keep, shown, button])))
        parts.append(tag("ul", {"class": "file-info tf-current-files"}, join(rows)))
    return join(parts)
