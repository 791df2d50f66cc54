"""Property tests: generated valid instances round-trip exactly through the compiled form.

For each selected case schema (``SELECTED``), hypothesis-jsonschema generates instances; each
one that jsonschema (Draft 2020-12, format checking: the compiler's source of truth) accepts
must survive ``Form.encode`` → ``Form(formdata=...)`` → ``validate()`` is True →
``to_instance()`` == the instance, exactly (1 / 1.0 / True told apart).

What an HTML form cannot post is filtered out by ``postable`` (keep it minimal): NUL and lone
surrogates (a browser cannot submit them: the HTML parser and the UTF-8 form encoder turn them
into U+FFFD). Nothing else is filtered: the compiler does not strip or normalise text.

Which schemas: every case group except those hypothesis-jsonschema 0.23 cannot generate for
(see ``UNSUPPORTED``): ``prefixItems`` (it knows draft-7 tuples only), recursive ``$ref``,
``$ref`` into the field library (no custom registry), a few whose pattern/format/contains
constraints it cannot satisfy (or, for ``format: uuid``, satisfies differently from
jsonschema), and one where generation alone takes minutes (three levels of nested rows).
Keywords it ignores (``dependentRequired``, ``dependentSchemas``, ``unevaluatedProperties``)
only make it generate some invalid instances, which jsonschema then discards (``assume``).

Compatibility shim: hypothesis-jsonschema 0.23.1 drives ``hypothesis.internal.conjecture.
utils.many`` through ``.more()``, which Hypothesis 6.170 replaced by a context-manager /
iterator protocol; without the adapter below every object schema fails with
``AttributeError: 'many' object has no attribute 'more'``. The adapter is installed only when
``many`` lacks ``more`` and only into hypothesis-jsonschema's module.
"""

from __future__ import annotations

from typing import Any

import hypothesis_jsonschema._from_schema as _hjs_from_schema
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis.internal.conjecture import utils as _cu
from hypothesis_jsonschema import from_schema

try:
    from tests.forms import suite
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    import suite  # type: ignore[no-redef]

# generating and round-tripping the instances takes most of the forms suite's time
pytestmark = pytest.mark.slow


class _ManyWithMore:
    """The pre-6.1xx ``many(...).more()`` protocol on top of the current ``many``."""

    def __init__(self, data: Any, min_size: int, max_size: float, average_size: float) -> None:
        self._many = _cu.many(data, min_size=min_size, max_size=max_size, average_size=average_size)
        self._many.__enter__()
        self._iter = iter(self._many)

    def more(self) -> bool:
        try:
            next(self._iter)
        except StopIteration:
            self._many.__exit__(None, None, None)
            return False
        return True

    def reject(self, why: str | None = None) -> None:
        self._many.reject(why)


class _ConjectureUtils:
    many = _ManyWithMore

    def __getattr__(self, name: str) -> Any:
        return getattr(_cu, name)


if not hasattr(_cu.many, "more"):
    _hjs_from_schema.cu = _ConjectureUtils()  # type: ignore[assignment]


# (file, group) -> why hypothesis-jsonschema cannot generate for it
UNSUPPORTED: dict[tuple[str, str], str] = {
    ("tuples", "prefixItems with items false (screen resolution)"): "prefixItems",
    ("tuples", "prefixItems of different types"): "prefixItems",
    ("tuples", "prefixItems with numbers (GPS position)"): "prefixItems",
    ("tuples", "prefixItems followed by an items schema for further rows"): "prefixItems",
    ("refs", "recursive schema: category tree rendered to a bounded depth"): "recursive $ref",
    ("refs", "recursive schema: escalation chain through an optional object"): "recursive $ref",
    ("refs", "recursive root reference"): "recursive $ref",
    ("formats", "format combined with maxLength and pattern"): "format + pattern unsatisfiable",
    ("validation", "contains and minContains on rows"): "contains + format unsatisfiable",
    ("formats", "formats the form has no widget for are still validated (uuid, hostname, ipv4)"): (
        "its format: uuid strings all fail jsonschema's uuid check"
    ),
    ("arrays", "three levels of rows"): "too slow: minutes per 8 examples (nested open objects)",
}


def _selected() -> list[tuple[str, str, Any]]:
    out: dict[tuple[str, str], tuple[str, str, Any]] = {}
    for case in suite.iter_cases():
        key = (case.file, case.group)
        if key in out or key in UNSUPPORTED or suite.uses_field_library(case.schema):
            continue
        out[key] = (case.file, case.group, (case.schema, case.ui_schema))
    return list(out.values())


SELECTED = _selected()


def postable(value: Any) -> bool:
    """False for values containing what a browser cannot submit (NUL, lone surrogates)."""
    if isinstance(value, str):
        return not any(c == "\x00" or "\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, list):
        return all(postable(v) for v in value)
    if isinstance(value, dict):
        return all(postable(k) and postable(v) for k, v in value.items())
    return True


@pytest.mark.parametrize("file, group, schemas", SELECTED, ids=[f"{f}/{g}" for f, g, _ in SELECTED])
def test_generated_instances_round_trip(file: str, group: str, schemas: Any) -> None:
    from forms import compile_form

    schema, ui_schema = schemas
    form_cls = suite.compile_case(compile_form, schema, ui_schema)
    reference = suite.reference_validator(schema)

    @settings(
        max_examples=8,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )
    @given(from_schema(schema).filter(postable))
    def round_trip(instance: Any) -> None:
        assume(reference.is_valid(instance))
        formdata = form_cls.encode(instance)
        # as when editing: read-only fields keep the stored value, never the posted one
        form = form_cls(formdata=formdata, data=instance, meta={"csrf": False})
        assert form.validate(), (
            f"valid instance rejected: {form.errors_by_pointer()!r}; "
            f"posted {list(formdata.items(multi=True))!r}"
        )
        back = form.to_instance()
        assert suite.json_same(back, instance), (
            f"{suite.json_diff(back, instance)}; posted {list(formdata.items(multi=True))!r}"
        )

    round_trip()
