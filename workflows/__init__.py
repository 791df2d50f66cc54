"""Pure workflow model and engine (routing, transitions, SLA, triggers).

Imports nothing from `app/`: plain dicts in, decisions and effects out as plain data. Its
public entry points (`load_workflow`, `DefinitionError`) are not written yet.
"""
