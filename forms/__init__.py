"""Tessera's form compiler: JSON Schema 2020-12 + uiSchema → WTForms, and back to JSON.

Pure: no Flask app, no database.

    Form = compile_form(schema, ui_schema=None, resolver=None)  # cached FlaskForm subclass
    form = Form(formdata=Form.encode(instance))   # what a browser posts for ``instance``
    form.validate()                               # reading checks, then jsonschema
    form.to_instance()                            # == instance for every valid instance
    form.errors_by_pointer()                      # {"/contact/email": ["..."], "": [...]}
    Form.warnings                                 # unknown ui:widget names, risky patterns...
    instance_errors(Form, instance, base="")      # the same messages for JSON, without a post

Editing a stored instance: ``Form(data=instance)`` renders it; on submit use
``Form(formdata=..., data=stored)`` too. Read-only fields (``readOnly``, ``ui:readonly``,
``ui:disabled``) never take a posted value, like Django's disabled fields: their value is the
stored one (``data=``), else the schema ``default`` (or ``const``), else absent. So on a new
form (no ``data=``) ``Form(formdata=Form.encode(x)).to_instance() == x`` only holds when
``x``'s read-only values equal their defaults.

Arrays without JavaScript: each array that can grow renders one spare blank row
(``data-tf-spare``, posted under ``<name>/~s``); the script removes it. A spare row posted as
rendered (blank, or only its defaults) is no item; a filled one is one more item, so a person
without JavaScript adds one row per submit. (Keep ``novalidate`` on the ``<form>``: the spare
row's inputs carry the item schema's ``required`` attributes.)

Rendering: ``form.render()`` returns the form *body* as Markup (CSRF token when an app
context has CSRF on, hidden empty-state hints, form errors, every field). Wrap it::

    <form method="post" enctype="multipart/form-data" novalidate>
      {{ form.render() }}
      <button type="submit" class="btn btn-primary">Save</button>
    </form>
    <script src="{{ url_for('tessera_forms.static', filename='tessera-forms.js') }}" defer></script>

and serve ``STATIC_FOLDER`` (e.g. ``Blueprint("tessera_forms", __name__,
static_folder=forms.STATIC_FOLDER, static_url_path="/static/tessera-forms")``). The script
is optional: without it every field shows and the server decides. Form HTML inserted after
page load (a live preview pane) is bound by ``window.TesseraForms.refresh(element)``; calling
it again, or loading the script twice, is harmless.
"""

from __future__ import annotations

from pathlib import Path

from forms.compiler import cache_size, clear_cache, compile_form
from forms.errors import FormCompileError, FormsError, SchemaRefError
from forms.form import TesseraForm, instance_errors
from forms.nodes import ABSENT

STATIC_FOLDER = str(Path(__file__).parent / "static")
SCRIPT = "tessera-forms.js"

__all__ = [
    "ABSENT",
    "FormCompileError",
    "FormsError",
    "SCRIPT",
    "STATIC_FOLDER",
    "SchemaRefError",
    "TesseraForm",
    "cache_size",
    "clear_cache",
    "compile_form",
    "instance_errors",
]
