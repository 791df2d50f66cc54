"""The data-driven cases against the form compiler.

For every test of every group in ``tests/forms/cases/*.json``:

* ``Form = compile_form(schema, uiSchema)`` (with the field library as ``resolver`` when the
  schema refers to it);
* ``Form(formdata=Form.encode(data), meta={"csrf": False}).validate() == valid``;
* for valid data, ``to_instance()`` gives back exactly ``data`` (1, 1.0 and True told apart,
  key sets and list order compared), and the posting is one a blank form in a browser can
  make: only the form's own inputs, no ``~e`` hints (no value smuggled as JSON text, no
  absent/null/empty state hint; see ``suite.hints``). The cases keep to the conventions
  that make this possible (``test_case_files.representability_problems``).

The cases themselves are checked against jsonschema in ``test_case_files.py``.
"""

from __future__ import annotations

import pytest

try:
    from tests.forms import suite
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    import suite  # type: ignore[no-redef]

CASES = list(suite.iter_cases())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: suite.Case) -> None:
    from forms import compile_form

    form_cls = suite.compile_case(compile_form, case.schema, case.ui_schema)
    formdata = form_cls.encode(case.data)
    form = form_cls(formdata=formdata, meta={"csrf": False})
    verdict = form.validate()
    assert verdict is case.valid, (
        f"validate() is {verdict}, expected {case.valid}; "
        f"errors {form.errors_by_pointer()!r}; posted {list(formdata.items(multi=True))!r}"
    )
    if case.valid:
        instance = form.to_instance()
        assert suite.json_same(instance, case.data), (
            f"round trip differs: {suite.json_diff(instance, case.data)}; "
            f"posted {list(formdata.items(multi=True))!r}"
        )
        # a blank form in the browser posts plain inputs only: no state hints, no JSON text
        escaped = suite.json_escaped(formdata)
        assert not escaped, f"valid data posted as JSON text for {escaped!r}"
        hints = suite.hints(formdata)
        assert not hints, f"valid data needs empty-state hints a blank form does not post: {hints}"
