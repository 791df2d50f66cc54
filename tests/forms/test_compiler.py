"""compile_form: cache, warnings, the FlaskForm base with and without a Flask app."""

from __future__ import annotations

import copy
import threading

import pytest
from flask import Flask
from flask_wtf import FlaskForm

from forms import STATIC_FOLDER, compile_form
from forms import compiler as compiler_module

SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}}}


def test_is_a_flask_form_and_works_without_app() -> None:
    form_cls = compile_form(SCHEMA)
    assert issubclass(form_cls, FlaskForm)
    form = form_cls(formdata=form_cls.encode({"a": "x"}))
    assert form.validate()
    assert form_cls().to_instance() == {}
    assert form_cls(meta={"csrf": False}).meta.csrf is False


def test_same_class_for_equal_schemas() -> None:
    first = compile_form(SCHEMA)
    assert compile_form(SCHEMA) is first
    assert compile_form(copy.deepcopy(SCHEMA)) is first
    # The order of `properties` is the order of the form: a reordering is another form.
    two = {"type": "object", "properties": {"b": {"type": "string"}, "a": {"type": "string"}}}
    swapped = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}
    assert [f.name for f in compile_form(two)()._tf_fields][:2] == ["/b", "/a"]
    assert [f.name for f in compile_form(swapped)()._tf_fields][:2] == ["/a", "/b"]
    assert compile_form(SCHEMA, {"a": {"ui:widget": "textarea"}}) is not first


def test_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiler_module, "CACHE_SIZE", 5)
    compiler_module.clear_cache()
    for i in range(20):
        compile_form({"type": "object", "properties": {f"p{i}": {"type": "string"}}})
    assert compiler_module.cache_size() <= 5
    assert len(compiler_module._by_id) <= 5
    compiler_module.clear_cache()


def test_cache_is_thread_safe() -> None:
    compiler_module.clear_cache()
    results: list[type] = []

    def work() -> None:
        for _ in range(20):
            results.append(compile_form(copy.deepcopy(SCHEMA)))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(r) for r in results}) == 1


def test_unknown_widgets_warn_and_fall_back() -> None:
    ui = {
        "a": {"ui:widget": "fancy-stars"},
        "b": {"ui:field": "MyField"},
        "ui:order": ["zzz", "*"],
    }
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}
    form_cls = compile_form(schema, ui)
    assert len(form_cls.warnings) == 3
    assert any("fancy-stars" in w and "/a" in w for w in form_cls.warnings)
    assert any("MyField" in w for w in form_cls.warnings)
    html = str(form_cls().render())
    assert 'type="text"' in html
    assert compile_form(SCHEMA).warnings == []


def test_csrf_inside_app_context() -> None:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="k", WTF_CSRF_ENABLED=True)
    form_cls = compile_form(SCHEMA)
    with app.test_request_context(method="POST", data={"/a": "x"}):
        form = form_cls()
        assert form.to_instance() == {"a": "x"}
        assert form.validate() is False
        assert "" in form.errors_by_pointer()
        assert 'name="csrf_token"' in str(form.render())
        form = form_cls(meta={"csrf": False})
        assert form.validate()
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        assert form_cls(formdata=form_cls.encode({"a": "y"})).validate()


def test_static_folder_ships_the_script() -> None:
    from pathlib import Path

    script = Path(STATIC_FOLDER) / "tessera-forms.js"
    text = script.read_text(encoding="utf-8")
    assert "data-tf-when" in text and "http" not in text.split("*/", 1)[1]


def test_risky_pattern_is_reported() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string", "pattern": "^(a+)+$"}}}
    warnings = compile_form(schema).warnings
    assert len(warnings) == 1 and "/properties/a" in warnings[0]


def test_meta_schema_compiles_with_bounded_recursion() -> None:
    form_cls = compile_form({"$ref": "https://json-schema.org/draft/2020-12/schema"})
    instance = {"type": "object", "properties": {"a": {"enum": [1, "x"]}}, "required": ["a"]}
    form = form_cls(formdata=form_cls.encode(instance))
    assert form.validate()
    assert form.to_instance() == instance
    form = form_cls(formdata=form_cls.encode({"minLength": -1}))
    assert not form.validate()
    assert form.errors_by_pointer() == {"/minLength": ["Must be at least 0."]}


def test_explicit_key_skips_hashing() -> None:
    first = compile_form(copy.deepcopy(SCHEMA), key="template-1@v1")
    assert compile_form(copy.deepcopy(SCHEMA), key="template-1@v1") is first
