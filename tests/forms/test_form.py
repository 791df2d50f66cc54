"""The form object: validating the data in the shape it is stored in, and file values shown."""

from __future__ import annotations

from typing import Any

from forms import compile_form

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "photo": {"type": "string", "format": "data-url", "maxLength": 40},
        "qty": {"type": "integer"},
    },
    "required": ["photo"],
}
PNG = "data:image/png;name=crack%20photo.png;base64," + "A" * 60


def test_validate_checks_the_instance_given_and_keeps_reading_errors() -> None:
    form_class = compile_form(SCHEMA)
    posted = form_class(formdata=form_class.encode({"photo": PNG, "qty": 2}))
    assert not posted.validate()  # the data URL is longer than maxLength
    assert list(posted.errors_by_pointer()) == ["/photo"]
    assert posted.validate(instance={"photo": "attachment:7;name=crack.png", "qty": 2})
    assert posted.errors_by_pointer() == {}
    assert not posted.validate(instance={"qty": 2})
    assert list(posted.errors_by_pointer()) == ["/photo"]
    unread = form_class.encode({"photo": PNG})
    unread["/qty"] = "two"
    bad = form_class(formdata=unread)
    assert not bad.validate(instance={"photo": "attachment:7;name=crack.png"})
    assert bad.errors_by_pointer() == {"/qty": ["Not a valid whole number."]}


def test_a_file_input_names_the_current_file_of_a_data_url_or_a_reference() -> None:
    form_class = compile_form(SCHEMA)
    for value, shown in (
        (PNG, "crack photo.png"),
        ("attachment:7;name=r%C3%A9sum%C3%A9.pdf", "résumé.pdf"),
        ("something else", "current file"),
    ):
        html = str(form_class(data={"photo": value}).render())
        assert f'value="{value}"' in html
        assert f"Current file: {shown}" in html
