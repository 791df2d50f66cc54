"""Sign-in security: login throttling, the password policy, revocable sessions and tokens.

`app.security.TesseraSecurityManager` wires these into Flask-AppBuilder; the modules here
hold the rules and the storage, and know nothing of FAB's views.
"""
