"""One client for the three APIs the portal calls, with the signed-in person's token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from shared import errors
from shared.config import PortalSettings


class ApiError(Exception):
    """An API refused a call; ``problem`` is its problem+json body (or a stand-in)."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(f"{status}: {problem.get('detail') or problem.get('title')}")
        self.status = status
        self.problem = problem

    @property
    def field_errors(self) -> dict[str, str]:
        """Field-level messages keyed by dotted path (``representative.name``), as the forms
        name their inputs."""
        flat: dict[str, str] = {}
        _flatten(self.problem.get("errors") or {}, "", flat)
        return flat

    @property
    def message(self) -> str:
        """The API's English, for logs; people read :meth:`words`."""
        return str(self.problem.get("detail") or self.problem.get("title") or self.status)

    @property
    def code(self) -> str | None:
        """The refusal's stable code (``dossier.not_handler``); None from a service too old to
        give one."""
        code = self.problem.get("code")
        return code if isinstance(code, str) else None

    @property
    def params(self) -> dict[str, Any]:
        params = self.problem.get("params")
        return params if isinstance(params, dict) else {}

    @property
    def field_codes(self) -> dict[str, str]:
        """Each field's code, by the dotted path of :attr:`field_errors`."""
        codes = self.problem.get("field_codes")
        return codes if isinstance(codes, dict) else {}

    @property
    def field_params(self) -> dict[str, dict[str, Any]]:
        params = self.problem.get("field_params")
        return params if isinstance(params, dict) else {}

    def words(self, lang: str) -> str:
        """What was refused, in ``lang`` from the catalogue; a general sentence for a code the
        catalogue lacks (never the API's English on a Vietnamese page)."""
        return errors.message(self.code, self.params, lang)

    def field_words(self, lang: str) -> dict[str, str]:
        """Each field's error in ``lang``: the catalogue's words for its code, a general one
        for a field without a code."""
        codes, params = self.field_codes, self.field_params
        return {
            path: errors.message(codes.get(path, FIELD_INVALID), params.get(path), lang)
            for path in self.field_errors
        }


FIELD_INVALID = "field.invalid"


def _flatten(errors: Any, prefix: str, out: dict[str, str]) -> None:
    if isinstance(errors, dict):
        for key, value in errors.items():
            _flatten(value, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(errors, list) and errors and all(isinstance(e, str) for e in errors):
        out[prefix or "_schema"] = " ".join(errors)
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            _flatten(value, f"{prefix}.{index}", out)
    else:
        out[prefix or "_schema"] = str(errors)


@dataclass(frozen=True, slots=True)
class Download:
    content: bytes
    content_type: str
    disposition: str | None


class ApiClient:
    """``call("registration", "GET", "/dossiers")``: JSON in, JSON out, errors as ApiError.

    One pooled HTTP session per process; the token is passed per call, never stored here.
    """

    def __init__(self, settings: PortalSettings) -> None:
        self.bases = {
            "registration": settings.registration_url.rstrip("/") + "/api/v1",
            "evaluation": settings.evaluation_url.rstrip("/") + "/api/v1",
            "notification": settings.notification_url.rstrip("/") + "/api/v1",
        }
        self.timeout = settings.api_timeout_seconds
        self.http = requests.Session()

    def _send(
        self, service: str, method: str, path: str, token: str | None, **kw: Any
    ) -> requests.Response:
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            resp = self.http.request(
                method, self.bases[service] + path, headers=headers, timeout=self.timeout, **kw
            )
        except requests.RequestException as exc:
            raise ApiError(503, {"title": "Service unavailable", "detail": str(exc)}) from exc
        if resp.status_code >= 400:
            try:
                problem = resp.json()
            except ValueError:
                problem = {"title": resp.reason, "status": resp.status_code}
            raise ApiError(resp.status_code, problem if isinstance(problem, dict) else {})
        return resp

    def call(
        self, service: str, method: str, path: str, *, token: str | None = None, **kw: Any
    ) -> Any:
        resp = self._send(service, method, path, token, **kw)
        return resp.json() if resp.content else None

    def download(self, service: str, path: str, *, token: str | None) -> Download:
        resp = self._send(service, "GET", path, token)
        return Download(
            resp.content,
            resp.headers.get("Content-Type", "application/octet-stream"),
            resp.headers.get("Content-Disposition"),
        )
