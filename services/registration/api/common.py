"""Small pieces every blueprint of this service uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask_smorest import Blueprint

F = TypeVar("F", bound=Callable[..., Any])

# Status codes each kind of endpoint may answer besides success, for the OpenAPI document.
READ_ERRORS = (401, 404)
WRITE_ERRORS = (400, 401, 403, 404, 409, 422)


def document_errors(blp: Blueprint, *codes: int) -> Callable[[F], F]:
    """Declare the problem+json answers an endpoint may give."""

    def decorate(fn: F) -> F:
        for code in codes:
            fn = blp.alt_response(code, description="application/problem+json")(fn)
        return fn

    return decorate
