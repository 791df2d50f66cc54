"""Why a document misses a condition: jsonschema's most relevant error, as a ``Miss``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from workflows.conditions.meta import escape, local_target, to_pointer

_MAX_REF_HOPS = 64  # a recursive $ref cannot make the walk below loop


@dataclass(frozen=True)
class Miss:
    """The first failing keyword of a condition for one document.

    ``instance_pointer`` points into the document (``""`` is the whole document),
    ``schema_pointer`` into the workflow definition (the condition's pointer + the keyword's
    path inside the condition, through ``$ref`` targets). ``keyword`` is ``"false"`` when a
    ``false`` subschema refused the value (jsonschema then reports the enclosing keyword's
    path).
    """

    keyword: str
    instance_pointer: str
    schema_pointer: str
    message: str


def first_miss(validator: Draft202012Validator, doc: Any, pointer: str) -> Miss | None:
    """The most relevant error (``best_match``) of ``doc``, or None when it is valid."""
    error = best_match(validator.iter_errors(doc))
    if error is None:
        return None
    return Miss(
        keyword=error.validator if isinstance(error.validator, str) else "false",
        instance_pointer=to_pointer(error.absolute_path),
        schema_pointer=pointer + schema_path(validator.schema, error),
        message=error.message,
    )


def schema_path(root: Any, error: ValidationError) -> str:
    """The error's keyword path as a pointer into ``root``.

    jsonschema leaves ``$ref`` out of schema paths, so a segment missing at a node that has
    a ``$ref`` continues in the reference's target; where both could hold it, the walk that
    ends at the error's own subschema wins.
    """
    segments = list(error.absolute_schema_path)
    walks = list(_walks(root, root, "", segments, 0))
    for found, parent in walks:
        if parent is error.schema:
            return found
    return walks[0][0] if walks else to_pointer(segments)


def _walks(
    root: Any, node: Any, at: str, segments: Sequence[object], hops: int
) -> Iterator[tuple[str, Any]]:
    if not segments:
        return
    head, rest = segments[0], segments[1:]
    child = _child(node, head)
    if child is not _NOTHING:
        if not rest:
            yield f"{at}/{escape(head)}", node
        else:
            yield from _walks(root, child, f"{at}/{escape(head)}", rest, hops)
    ref = node.get("$ref") if isinstance(node, dict) else None
    target = local_target(root, ref) if isinstance(ref, str) else None
    if target is not None and hops < _MAX_REF_HOPS:
        yield from _walks(root, target[0], to_pointer(_tokens(target[1])), segments, hops + 1)


def _tokens(pointer: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


_NOTHING = object()


def _child(node: Any, segment: object) -> Any:
    if isinstance(node, dict) and isinstance(segment, str):
        return node.get(segment, _NOTHING)
    if isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node):
        return node[segment]
    return _NOTHING
