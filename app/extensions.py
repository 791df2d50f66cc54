"""Unbound extension objects; `create_app` binds them with `init_app`.

Flask-AppBuilder is the exception: an `AppBuilder` keeps per-app state (menu, views, security
manager) that does not survive being bound to a second app, so `create_app` builds one per app
and the code reaches it through `app.security.security_manager()` or
`current_app.extensions["appbuilder"]`.
"""

from flask_appbuilder.utils.legacy import get_sqla_class
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

db = get_sqla_class()()
migrate = Migrate()
csrf = CSRFProtect()
