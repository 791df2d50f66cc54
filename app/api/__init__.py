"""REST API under /api/v1/ (FAB BaseApi; JWT from /api/v1/security/login)."""
