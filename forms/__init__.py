"""Tessera's form compiler: JSON Schema 2020-12 + uiSchema → WTForms, and back to JSON.

Pure: no Flask app, no database.

    Form = compile_form(schema, ui_schema=None, resolver=None)  # cached FlaskForm subclass
    form = Form(formdata=Form.encode(instance))   # what a browser posts for ``instance``
    form.validate()                               # reading checks, then jsonschema
    form.to_instance()                            # == instance for every valid instance
    form.errors_by_pointer()                      # {"/contact/email": ["..."], "": [...]}
    Form.warnings                                 # unknown ui:widget names, risky patterns...

Editing a stored instance: ``Form(data=instance)`` renders it; on submit use
``Form(data=stored)`` too, so ``readOnly`` fields keep the stored value whatever is posted.

Rendering: ``form.render()`` returns the form *body* as Markup (CSRF token when an app
context has CSRF on, hidden empty-state hints, form errors, every field). Wrap it::

    <form method="post" enctype="multipart/form-data" novalidate>
      {{ form.render() }}
      <button type="submit" class="btn btn-primary">Save</button>
    </form>
    <script src="{{ url_for('tessera_forms.static', filename='tessera-forms.js') }}" defer></script>

and serve ``STATIC_FOLDER`` (e.g. ``Blueprint("tessera_forms", __name__,
static_folder=forms.STATIC_FOLDER, static_url_path="/static/tessera-forms")``). The script
is optional: without it every field shows and the server decides.
"""

from __future__ import annotations

from pathlib import Path

from forms.compiler import cache_size, clear_cache, compile_form
from forms.errors import FormCompileError, FormsError, SchemaRefError
from forms.form import TesseraForm
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
]
