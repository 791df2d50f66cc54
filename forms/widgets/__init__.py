"""All the HTML: Bootstrap 3 markup (FAB's theme), accessible, every schema text escaped.

The browser script (``static/tessera-forms.js``) reads only ``data-tf-*`` attributes;
without it every field is shown and the server decides.
"""

from __future__ import annotations

from forms.widgets.groups import render_form, render_group, render_inputs
from forms.widgets.html import attrs, tag

__all__ = ["attrs", "render_form", "render_group", "render_inputs", "tag"]
