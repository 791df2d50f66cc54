"""File fields (`format: data-url`, RJSF's file widget) kept in the attachment storage.

A ticket's data never holds a file's bytes. A file field's value is a reference string

    attachment:<attachment id>;name=<percent-encoded file name>

which keeps the field a JSON string (so the template's schema still holds) and carries what a
page needs to show it (the name) without a query. The bytes are an `Attachment` of the ticket,
downloaded through the ticket's own scoped route.

How a file comes in: the form's file input posts the file, which the compiled form reads into a
data URL (`forms.codec.read_upload`); an API client sends the data URL itself, as RJSF does.
`read` (a JSON document) and `read_posted` (a posted form) find the file fields of the data
the way the compiled form does (its `FileNode`s: nested objects, arrays, the alternative
chosen; an array of files is one multiple file input, `FilesNode`, whose list holds one value
per file, each at its own pointer `/files/1`) and check each value there:

- a data URL is decoded and checked: size within the field's limit (`FileNode.max_size`, from
  `maxLength` or `ui:options.maxSize`) and the storage's, type within the field's `accept` /
  `contentMediaType` and the storage's allowed types;
- a reference is kept when it names an attachment of the same ticket;
- a value equal to the one stored at the same place is kept as it is (a file nobody touched,
  an older ticket's data URL);
- anything else is refused at its pointer.

Until the ticket's transaction stores them, new files stand in the data as the longest
reference their name can have (`Files.stored`): that is what the template's schema validates,
so the data is checked as it will be stored. `attach` (through `creating` and `update_ticket`)
writes the attachment rows (comment NULL) in the ticket's own transaction and puts the real
references in place; the bytes follow the rows (`app.tickets.uploads`).
"""

from __future__ import annotations

import base64
import binascii
import re
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any
from urllib.parse import quote, unquote, unquote_to_bytes

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.limits import MAX_ID
from app.pointers import resolve
from app.tickets import service
from app.tickets.comments import human_size
from app.tickets.errors import AttachmentRejected, TicketInvalid, TicketNotFound
from app.tickets.merge import put
from app.tickets.models import Attachment, Ticket
from app.tickets.storage import FileStorage, check_type, clean_filename, storage_for
from app.tickets.uploads import Staged, Upload, attachment_row, files_follow_rows, stage_uploads
from forms import TesseraForm
from forms.fields import JsonField
from forms.nodes import FileNode, FilesNode, Node
from forms.rows import AltField, FilesField
from forms.structure import children

PREFIX = "attachment:"
_REF = re.compile(r"\Aattachment:([1-9][0-9]{0,17});name=([^;]*)\Z")
# A data URL's head: `data:<media type>[;name=...][;base64],` (RFC 2397, RJSF adds `name=`).
_HEAD = re.compile(r"data:([^,]{0,1024}),")
_MISSING = object()


@dataclass(frozen=True)
class FileRef:
    """A file field's value read back: the attachment's id and the file's name."""

    attachment_id: int
    name: str


def format_ref(attachment_id: int, name: str) -> str:
    """The string a file field stores for attachment `attachment_id` named `name`."""
    return f"{PREFIX}{attachment_id};name={quote(name, safe='')}"


def parse_ref(value: object) -> FileRef | None:
    """The FileRef a stored value names, or None when it is not a file reference."""
    if not isinstance(value, str):
        return None
    found = _REF.match(value)
    if found is None:
        return None
    return FileRef(int(found.group(1)), unquote(found.group(2)))


# ---------------------------------------------------------------------------------------------
# Data URLs


@dataclass(frozen=True)
class DataFile:
    """A file a data URL carries: its (clean) name, declared type and bytes."""

    name: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class _Head:
    content_type: str
    name: str
    base64: bool
    start: int  # where the data begins


def _head(value: object) -> _Head | None:
    if not isinstance(value, str):
        return None
    found = _HEAD.match(value)
    if found is None:
        return None
    parts = found.group(1).split(";")
    content_type = parts[0].strip().lower() or "text/plain"
    name, is_base64 = "", False
    for part in parts[1:]:
        key, _sep, text = part.partition("=")
        if key.strip().lower() == "base64" and not _sep:
            is_base64 = True
        elif key.strip().lower() == "name":
            name = unquote(text)
    return _Head(content_type, clean_filename(name or "file"), is_base64, found.end())


def is_data_url(value: object) -> bool:
    """Tell whether `value` is a data URL (`data:...,`), as RJSF's file widget writes one."""
    return _head(value) is not None


def _size(value: str, head: _Head) -> int:
    """The byte size of a data URL's content, without decoding base64."""
    data = value[head.start :]
    if not head.base64:
        return len(unquote_to_bytes(data))
    return len(data) * 3 // 4 - data[-2:].count("=")


def describe(value: object) -> str:
    """A file field's value as a page names it: "image.png", "image.png (12.0 KB)", the text.

    A reference gives the file's name; a data URL its `name=` (else "file") and its size, never
    its bytes; anything else its text ("" for null).
    """
    ref = parse_ref(value)
    if ref is not None:
        return ref.name
    head = _head(value)
    if head is not None:
        assert isinstance(value, str)
        return f"{head.name} ({human_size(_size(value, head))})"
    return "" if value is None else str(value)


def decode(value: str) -> DataFile:
    """The file a data URL carries; ValueError (a message for people) when it is not one."""
    head = _head(value)
    if head is None:
        raise ValueError(_("Not a file: expected a data URL (data:<type>;base64,<data>)."))
    data = value[head.start :]
    if head.base64:
        try:
            content = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(_("The file's data is not valid base64.")) from None
    else:
        content = unquote_to_bytes(data)
    return DataFile(head.name, head.content_type, content)


def accepts(accept: str, name: str, content_type: str) -> bool:
    """Tell whether a file fits an `accept` list (`image/*,.pdf,text/plain`) as browsers do."""
    wanted = [t.strip().lower() for t in accept.split(",") if t.strip()]
    kind = content_type.split(";", 1)[0].strip().lower()
    lower = name.lower()
    for token in wanted:
        if token.startswith("."):
            if lower.endswith(token):
                return True
        elif token in ("*", "*/*") or token == kind:
            return True
        elif token.endswith("/*") and kind.startswith(token[:-1]):
            return True
    return not wanted


def _checked(value: str, node: FileNode, storage: FileStorage) -> DataFile:
    """The file of a data URL at a file field; ValueError saying why it is refused."""
    head = _head(value)
    limit = min(node.max_size, storage.max_bytes)
    too_large = _("The file is larger than %(size)s.", size=human_size(limit))
    if head is not None and _size(value, head) > limit:
        raise ValueError(too_large)
    file = decode(value)
    if len(file.content) > limit:
        raise ValueError(too_large)
    if node.accept and not accepts(node.accept, file.name, file.content_type):
        raise ValueError(_("Files of type %(type)s are not accepted here.", type=file.content_type))
    try:
        check_type(file.name, file.content_type, storage.allowed_types)
    except AttachmentRejected as exc:
        raise ValueError(str(exc)) from None
    return file


# ---------------------------------------------------------------------------------------------
# Where the file fields are: the compiled form's own fields


@dataclass(frozen=True)
class _Place:
    """Where a file field's value is: its form field, the FileNode it is checked by, and
    whether it is one of the files of a multiple file input (an array of files)."""

    field: JsonField
    node: FileNode
    many: bool = False


def _has_file_node(nodes: Iterable[Node]) -> bool:
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, FileNode):
            return True
        stack.extend(children(node))
    return False


_HAS_FILES: weakref.WeakKeyDictionary[type[TesseraForm], bool] = weakref.WeakKeyDictionary()


def has_file_fields(form_class: type[TesseraForm]) -> bool:
    """Tell whether a compiled form has a file field anywhere (known once per form class)."""
    found = _HAS_FILES.get(form_class)
    if found is None:
        empty = form_class(formdata=None, meta={"csrf": False})
        found = _HAS_FILES[form_class] = _has_file_node(
            f.node for f in empty if isinstance(f, JsonField)
        )
    return found


def _file_fields(fields: Iterable[JsonField]) -> Iterator[JsonField]:
    """The file fields among `fields` and below them (of an alternative, the chosen one)."""
    for item in fields:
        if isinstance(item, AltField):
            yield from _file_fields([item.branches[item.selected]])
        elif isinstance(item.node, FileNode | FilesNode):
            yield item
        else:
            yield from _file_fields(item.children())


def _places(form: TesseraForm) -> dict[str, _Place]:
    """{pointer: place} of the file values a form holds (posted or loaded); a multiple file
    input (an array of files) holds one per file, at `<its pointer>/<index>`."""
    found: dict[str, _Place] = {}
    for item in _file_fields(f for f in form if isinstance(f, JsonField)):
        node = item.node
        if isinstance(node, FilesNode):
            files = item.value if isinstance(item.value, list) else []
            for index in range(len(files)):
                found.setdefault(f"{item.pointer}/{index}", _Place(item, node.item, True))
        elif isinstance(node, FileNode):
            found.setdefault(item.pointer, _Place(item, node))
    return found


# ---------------------------------------------------------------------------------------------
# Reading: what a submission's file fields hold


@dataclass(frozen=True)
class NewFile:
    """A file a data URL brings, checked, at `pointer` in the data."""

    pointer: str
    data_url: str
    file: DataFile

    @property
    def stand_in(self) -> str:
        """The reference the data holds until the file is stored (the longest it can be)."""
        return format_ref(MAX_ID, self.file.name)


@dataclass(frozen=True)
class Files:
    """The files of a submission: new ones, references kept, and those refused.

    `kept` holds (pointer, as given, the attachment's own reference) for references to the
    ticket's attachments; `errors` the refused values by pointer (relative to the data).
    """

    new: tuple[NewFile, ...] = ()
    kept: tuple[tuple[str, str, str], ...] = ()
    errors: Mapping[str, list[str]] = field(default_factory=dict)

    def stored(self, data: Any) -> Any:
        """`data` as it will be stored: new files standing in as references, references as
        their attachment names them. Values that are no longer what was read stay as they are.
        """
        for new in self.new:
            if resolve(data, new.pointer, _MISSING) == new.data_url:
                data = put(data, new.pointer, new.stand_in)
        for pointer, given, ref in self.kept:
            if resolve(data, pointer, _MISSING) == given:
                data = put(data, pointer, ref)
        return data


NO_FILES = Files()


def read(
    form_class: type[TesseraForm],
    data: Any,
    *,
    ticket: Ticket | None = None,
    storage: FileStorage | None = None,
) -> Files:
    """The files a JSON document's file fields hold, for a new ticket or `ticket`."""
    if not has_file_fields(form_class):
        return NO_FILES
    loaded = form_class(formdata=None, data=data, meta={"csrf": False})
    return _read(_places(loaded), data, ticket, storage)


def read_posted(
    form: TesseraForm, *, ticket: Ticket | None = None, storage: FileStorage | None = None
) -> Files:
    """The files of a posted form; each refused one fails its field (shown there, invalid)."""
    if not has_file_fields(type(form)):
        return NO_FILES
    places = _places(form)
    data = form.to_instance()
    files = _read(places, data, ticket, storage)
    for pointer, messages in files.errors.items():
        place = places[pointer]
        value = resolve(data, pointer, "")
        for message in messages:
            if place.many and isinstance(place.field, FilesField):
                # one input, several files: say which one, and offer it no more
                named = _("%(name)s: %(message)s", name=_name_of(value), message=message)
                place.field.refuse(value, named)
            else:
                place.field.fail(message)
    return files


def _name_of(value: object) -> str:
    """The file name a file field's value carries (a reference's or a data URL's)."""
    ref = parse_ref(value)
    if ref is not None:
        return ref.name
    head = _head(value)
    return head.name if head is not None else _("file")


def validate(form: TesseraForm, files: Files) -> bool:
    """`form.validate()` on the data as it will be stored (new files standing in)."""
    return bool(form.validate(instance=files.stored(form.to_instance())))


def _read(
    places: Mapping[str, _Place],
    data: Any,
    ticket: Ticket | None,
    storage: FileStorage | None,
) -> Files:
    stored = ticket.data if ticket is not None else None
    new: list[NewFile] = []
    refs: dict[str, tuple[str, FileRef]] = {}
    errors: dict[str, list[str]] = {}
    for pointer, place in places.items():
        value = resolve(data, pointer, None)
        if not isinstance(value, str) or value == "" or place.field.process_errors:
            continue
        if stored is not None and resolve(stored, pointer, _MISSING) == value:
            continue
        ref = parse_ref(value)
        if ref is not None:
            refs[pointer] = (value, ref)
            continue
        try:
            if storage is None:
                storage = storage_for(current_app)
            new.append(NewFile(pointer, value, _checked(value, place.node, storage)))
        except ValueError as exc:
            errors[pointer] = [str(exc)]
    kept = _kept(refs, ticket.id if ticket is not None else None, errors)
    return Files(tuple(new), kept, errors)


def _kept(
    refs: Mapping[str, tuple[str, FileRef]], ticket_id: int | None, errors: dict[str, list[str]]
) -> tuple[tuple[str, str, str], ...]:
    """The references that name an attachment of the ticket; the others go to `errors`."""
    ids = {ref.attachment_id for _given, ref in refs.values() if ref.attachment_id <= MAX_ID}
    names: dict[int, str] = {}
    if ids and ticket_id is not None:
        rows = db.session.execute(
            select(Attachment.id, Attachment.filename).where(
                Attachment.ticket_id == ticket_id, Attachment.id.in_(sorted(ids))
            )
        )
        names = {row.id: row.filename for row in rows}
    kept = []
    for pointer, (given, ref) in refs.items():
        if ref.attachment_id in names:
            kept.append((pointer, given, format_ref(ref.attachment_id, names[ref.attachment_id])))
        elif ticket_id is None:
            errors[pointer] = [_("A new ticket has no attachments yet: send the file itself.")]
        else:
            errors[pointer] = [_("This ticket has no attachment %(id)s.", id=ref.attachment_id)]
    return tuple(kept)


# ---------------------------------------------------------------------------------------------
# Storing, in the ticket's transaction


def stage(
    files: Files, data: Any, storage: FileStorage | None, base: str = "/data"
) -> tuple[list[NewFile], list[Staged]]:
    """(files still standing in `data`, their staged bytes), before anything is written.

    A refused file raises TicketInvalid (422) at its pointer under `base`.
    """
    wanted = [f for f in files.new if resolve(data, f.pointer, _MISSING) == f.stand_in]
    if not wanted:
        return [], []
    uploads = [Upload(BytesIO(f.file.content), f.file.name, f.file.content_type) for f in wanted]
    try:
        staged = stage_uploads(uploads, storage, at=[base + f.pointer for f in wanted])
    except TicketInvalid as exc:
        exc.status = 422  # a file field's file is a value of the data, whatever was wrong
        raise
    return wanted, staged


def attach(
    s: Session,
    ticket_id: int,
    data: Any,
    wanted: Sequence[NewFile],
    staged: Sequence[Staged],
    actor_id: int | None,
) -> Any:
    """Write the attachment rows of staged files; `data` with their references in place."""
    rows = [attachment_row(ticket_id, name, item, None, actor_id) for name, item in staged]
    s.add_all(rows)
    s.flush()
    for new, row in zip(wanted, rows, strict=True):
        data = put(data, new.pointer, format_ref(row.id, row.filename))
    return data


def creating(
    wanted: Sequence[NewFile], staged: Sequence[Staged], actor_id: int | None
) -> Callable[[Session, Ticket], None]:
    """A `create_ticket` hook (`also`) attaching the files to the new ticket.

    The ticket's data gets their references by an UPDATE that leaves `lock_version` alone: a
    new ticket is version 1, whatever it holds.
    """

    def hook(s: Session, ticket: Ticket) -> None:
        if not wanted:
            return
        data = attach(s, ticket.id, ticket.data, wanted, staged, actor_id)
        s.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id)
            .values(data=data)
            .execution_options(synchronize_session=False)
        )
        set_committed_value(ticket, "data", data)

    return hook


def storage_if(files: Files) -> FileStorage | None:
    """The app's attachment storage when there are new files to store."""
    return storage_for(current_app) if files.new else None


def update_ticket(
    files: Files,
    ticket_id: int,
    changes: Mapping[str, Any],
    expected_lock_version: int,
    actor_id: int | None,
    *,
    channel: str,
) -> Ticket:
    """`service.update_ticket` with the new files of `changes["data"]` stored, in one unit.

    The attachment rows, the references in the data and the ticket's change commit together;
    on any failure (a stale version included) nothing is written and no new bytes stay.
    """
    if isinstance(changes.get("data"), dict):
        changes = {**changes, "data": files.stored(changes["data"])}
    storage = storage_if(files)
    wanted, staged = stage(files, changes.get("data"), storage)
    if not wanted:
        return service.update_ticket(
            ticket_id, changes, expected_lock_version, actor_id, channel=channel
        )
    s = db.session
    with files_follow_rows(s, storage, staged) as place:
        if s.get(Ticket, ticket_id) is None:
            raise TicketNotFound(f"No ticket with id {ticket_id}.")
        data = attach(s, ticket_id, changes["data"], wanted, staged, actor_id)
        ticket = service.update_ticket(
            ticket_id,
            {**changes, "data": data},
            expected_lock_version,
            actor_id,
            channel=channel,
            commit=False,
        )
        place()
        s.commit()
    return ticket
