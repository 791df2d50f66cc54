"""Pure workflow model and engine: routing, assignment, transitions, SLA clocks.

Imports nothing from `app/`: plain dicts in (a workflow definition, a ticket document), decisions
as plain data out. The ticket document and the definition language are in `docs/workflows.md`.

    wf = load_workflow(definition)        # DefinitionError with JSON pointers when wrong
    wf.route(doc)                         # department, priority, strategy, skills, rule
    wf.transitions(state, roles, doc)     # what these roles may do now
"""

from workflows.assignment import Candidate, Choice
from workflows.calendar import BusinessCalendar
from workflows.durations import format_duration, parse_duration
from workflows.engine import Outcome, Route, RuleReport, SlaTerms, TransitionCheck, Workflow
from workflows.errors import DefinitionError, WorkflowError
from workflows.loader import checksum_of, load_workflow, meta_schema
from workflows.model import PRIORITIES, ROLES, Category, State, Strategy, Transition
from workflows.references import References, references

__all__ = [
    "PRIORITIES",
    "ROLES",
    "BusinessCalendar",
    "Candidate",
    "Category",
    "Choice",
    "DefinitionError",
    "Outcome",
    "References",
    "Route",
    "RuleReport",
    "SlaTerms",
    "State",
    "Strategy",
    "Transition",
    "TransitionCheck",
    "Workflow",
    "WorkflowError",
    "checksum_of",
    "format_duration",
    "load_workflow",
    "meta_schema",
    "parse_duration",
    "references",
]
