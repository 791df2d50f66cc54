"""Definitions as files in the console (Admin only): download them all, upload a file or a zip.

The files are those of `flask tessera defs export` (`app.definitions.io.export_files`): one
JSON file per definition in its document's key order, `<kind>/<key>.json`. An upload goes through
`io.import_texts` like the API's import: every file is checked first and nothing is written
when one is bad, and workflows are never published here (department heads approve them).
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Mapping
from io import BytesIO
from pathlib import PurePosixPath
from typing import Any

from flask import g, request, send_file
from flask.typing import ResponseReturnValue
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from app.api.definitions import IMPORT_MAX_BYTES
from app.clock import utcnow
from app.definitions import io
from app.definitions.errors import DefinitionConflict, DefinitionInvalid
from app.extensions import db

ZIP_SUFFIX = ".zip"
# What archivers add beside the files (macOS's resource forks): never definitions.
IGNORED_PREFIXES = ("__MACOSX/",)


def zip_of(files: Mapping[str, str]) -> bytes:
    """A zip archive of `files` ({relative path: text}), compressed, dated now."""
    buffer = BytesIO()
    stamp = utcnow().timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in files.items():
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


def uploaded_files(filename: str, data: bytes, limit: int = IMPORT_MAX_BYTES) -> dict[str, bytes]:
    """{name: content} of an upload: every `.json` member of a zip, or the one JSON file.

    Raises ImportFailed at the upload's name for a zip that cannot be read, holds no `.json`
    file or unpacks to more than `limit` bytes.
    """
    name = PurePosixPath(filename.replace("\\", "/")).name or "upload"
    if not zipfile.is_zipfile(BytesIO(data)):
        if name.lower().endswith(ZIP_SUFFIX):
            raise io.ImportFailed({name: {"": [_("This is not a zip archive.")]}})
        return {name: data}
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            members = [
                info
                for info in archive.infolist()
                if not info.is_dir()
                and info.filename.lower().endswith(".json")
                and not info.filename.startswith(IGNORED_PREFIXES)
            ]
            if not members:
                raise io.ImportFailed({name: {"": [_("The archive holds no .json file.")]}})
            size = sum(info.file_size for info in members)
            if size > limit:
                message = _(
                    "The archive unpacks to %(size)s bytes; the limit is %(limit)s.",
                    size=f"{size:,}",
                    limit=f"{limit:,}",
                )
                raise io.ImportFailed({name: {"": [message]}})
            return {info.filename: archive.read(info) for info in members}
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        # Broken or encrypted members, compression methods zipfile cannot unpack.
        reason = _("The archive cannot be read: %(reason)s", reason=str(exc))
        raise io.ImportFailed({name: {"": [reason]}}) from exc


class DefinitionFilesView(BaseView):
    """The import and export page of the definitions console."""

    route_base = "/definitions/files"
    default_view = "index"
    method_permission_name = {"index": "read", "export": "read", "upload": "write"}

    @expose("/")
    @has_access
    def index(self) -> ResponseReturnValue:
        """The page: a download button and the upload form."""
        return self._page()

    @expose("/export")
    @has_access
    def export(self) -> ResponseReturnValue:
        """A zip of every published definition (and open drafts with `?drafts=1`)."""
        drafts = request.args.get("drafts") == "1"
        archive = zip_of(io.export_files(include_drafts=drafts))
        return send_file(
            BytesIO(archive),
            mimetype="application/zip",
            as_attachment=True,
            download_name=f"tessera-definitions-{utcnow():%Y%m%d-%H%M}.zip",
        )

    @expose("/import", methods=["POST"])
    @has_access
    def upload(self) -> ResponseReturnValue:
        """Import the uploaded file or zip, all or nothing; publish it with `publish=1`."""
        publish = request.form.get("publish") == "1"
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            missing = {"file": [_("Choose a .json file or a .zip of them.")]}
            return self._page(form_errors=missing, publish=publish), 422
        try:
            files = uploaded_files(upload.filename, upload.read())
            report = io.import_texts(files, publish, g.user.id, approved_by_import=False)
        except io.ImportFailed as failed:
            return self._page(failed=failed.by_file, publish=publish), 422
        except DefinitionInvalid as exc:  # the publish checks of the write itself
            return self._page(failed={upload.filename: exc.errors}, publish=publish), 422
        except DefinitionConflict as exc:  # a workflow to publish, a pending version...
            db.session.rollback()
            return self._page(refused=str(exc), publish=publish), 409
        return self._page(report=report, publish=publish)

    def _page(self, **context: Any) -> str:
        context.setdefault("form_errors", {})
        return self.render_template(
            "tessera/definitions/files.html", title=_("Import and export definitions"), **context
        )
