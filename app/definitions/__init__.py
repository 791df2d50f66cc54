"""Definitions (fields, templates, workflows): checks, the versioned store, import/export."""
