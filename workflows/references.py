"""What a workflow definition names outside itself: departments, skills and templates.

The engine cannot know whether they exist; the app checks them against the database when a
workflow is saved or published and reports each unknown name at the pointer returned here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

_BRANCHES = ("allOf", "anyOf", "oneOf")
_SINGLE = ("not", "if", "then", "else")


@dataclass(frozen=True)
class References:
    """Names by the pointer that uses them."""

    departments: dict[str, str] = field(default_factory=dict)
    skills: dict[str, str] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)


def references(body: Mapping[str, Any]) -> References:
    """Every department, skill and template the (meta-schema-valid) definition names."""
    found = References()
    for index, rule in enumerate(body.get("routing", {}).get("rules", [])):
        where = f"/routing/rules/{index}"
        then = rule.get("then", {})
        if "department" in then:
            found.departments[f"{where}/then/department"] = then["department"]
        for s, skill in enumerate(then.get("skills", [])):
            found.skills[f"{where}/then/skills/{s}"] = skill
        found.templates.update(template_names(rule.get("when"), f"{where}/when"))
    for pointer, action in _actions(body):
        for s, skill in enumerate(action.get("skills", [])):
            found.skills[f"{pointer}/skills/{s}"] = skill
    for pointer, condition in conditions(body):
        if not pointer.startswith("/routing/rules/"):
            found.templates.update(template_names(condition, pointer))
    return found


def conditions(body: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every condition of the definition with its pointer."""
    for index, t in enumerate(body.get("transitions", [])):
        for name in ("requires", "when"):
            if name in t:
                yield f"/transitions/{index}/{name}", t[name]
        if "when" in t.get("approval", {}):
            yield f"/transitions/{index}/approval/when", t["approval"]["when"]
    for index, rule in enumerate(body.get("routing", {}).get("rules", [])):
        yield f"/routing/rules/{index}/when", rule.get("when")
    for index, policy in enumerate(body.get("sla", {}).get("policies", [])):
        if "when" in policy:
            yield f"/sla/policies/{index}/when", policy["when"]
    for section in ("triggers", "automations"):
        for index, item in enumerate(body.get(section, [])):
            if "when" in item:
                yield f"/{section}/{index}/when", item["when"]


def template_names(schema: Any, pointer: str) -> dict[str, str]:
    """Template keys a condition compares `template` with (const or enum), by pointer."""
    found: dict[str, str] = {}
    if not isinstance(schema, Mapping):
        return found
    template = schema.get("properties", {}).get("template")
    if isinstance(template, Mapping):
        where = f"{pointer}/properties/template"
        if isinstance(template.get("const"), str):
            found[f"{where}/const"] = template["const"]
        for i, value in enumerate(
            template.get("enum", []) if isinstance(template.get("enum"), list) else []
        ):
            if isinstance(value, str):
                found[f"{where}/enum/{i}"] = value
    for name in _BRANCHES:
        for i, branch in enumerate(
            schema.get(name, []) if isinstance(schema.get(name), list) else []
        ):
            found.update(template_names(branch, f"{pointer}/{name}/{i}"))
    for name in _SINGLE:
        found.update(template_names(schema.get(name), f"{pointer}/{name}"))
    return found


def _actions(body: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for section in ("triggers", "automations"):
        for index, item in enumerate(body.get(section, [])):
            for a, action in enumerate(item.get("actions", [])):
                yield f"/{section}/{index}/actions/{a}", action
