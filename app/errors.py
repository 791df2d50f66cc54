"""The base of every Tessera error that a view or the API answers with an HTTP status."""

from __future__ import annotations


class TesseraError(Exception):
    """Base class of the domain packages' errors; `status` is the HTTP code to answer with.

    Subclasses set `status` as a class attribute (404, 409, 422, ...); an instance may override
    it when one error class covers several codes (a refused upload is 413 or 422).
    """

    status: int = 400
