"""The base class of Tessera's REST APIs: the forgery guard and the `Error` schema, once.

Every API inherits them, so no endpoint can go without: FAB runs the guard before each handler
(before its permission check), and adds `Error` to each 4xx answer the endpoint documents.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from flask import Response
from flask_appbuilder.api import BaseApi
from flask_appbuilder.hooks import before_request

from app.api.guard import forged_write
from app.api.spec import add_error_schema, documented_operations, with_error_bodies


class TesseraApi(BaseApi):
    """A FAB API that accepts the console's session cookie, but not for forged writes."""

    allow_browser_login = True
    spec_schemas: dict[str, dict[str, Any]] = {}
    """Schema components the endpoints' docstrings refer to (`#/components/schemas/<name>`)."""

    @before_request
    def refuse_forged_writes(self) -> Response | None:
        """403 for a cookie-signed write without the CSRF token (401 for a bad bearer token)."""
        problem = forged_write()
        return None if problem is None else self.response(403, message=problem)

    def add_apispec_components(self, api_spec: APISpec) -> None:
        """FAB's components, the `Error` schema and this API's `spec_schemas`."""
        super().add_apispec_components(api_spec)
        add_error_schema(api_spec)
        for name, schema in self.spec_schemas.items():
            if name not in api_spec.components.schemas:
                api_spec.components.schema(name, schema)

    def operation_helper(
        self,
        path: str | None = None,
        operations: dict[str, Any] | None = None,
        methods: list[str] | None = None,
        func: Any = None,
        **kwargs: Any,
    ) -> None:
        """The operations of `func`'s docstring, each 4xx answer with the `Error` body.

        FAB's own helper round-trips the YAML through `repr`, which doubles every backslash
        (a `pattern` of `\\S` would come out as a literal backslash and S); this one reads the
        docstring once, as `answers_errors` does.
        """
        documented = documented_operations(func.__doc__ if func is not None else None)
        overrides = self.openapi_spec_methods.get(getattr(func, "__name__", ""), {})
        for method in (m.lower() for m in methods or ()):
            operation = {**documented.get(method, {}), **overrides.get(method, {})}
            if self.get_method_permission(func.__name__):
                operation["security"] = [{"jwt": []}]
            if operations is not None:
                operations[method] = with_error_bodies(operation)
