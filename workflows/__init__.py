"""Pure workflow model and engine (routing, transitions, SLA, triggers).

Imports nothing from `app/`. The engine's public API (`load_workflow`, `DefinitionError`)
is specified in DESIGN.md and arrives with the workflow issue.
"""
