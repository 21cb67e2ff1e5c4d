"""A requests transport adapter that hands each request to a WSGI app in this process, so the
portal's real API client talks to the real services without sockets."""

from __future__ import annotations

from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from werkzeug.test import EnvironBuilder, run_wsgi_app


class WSGIAdapter(BaseAdapter):
    def __init__(self, app: Any) -> None:
        super().__init__()
        self.app = app

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:
        url = urlsplit(request.url or "")
        body = request.body
        if hasattr(body, "read"):
            body = body.read()  # type: ignore[union-attr]
        builder = EnvironBuilder(
            path=url.path,
            query_string=url.query,
            method=request.method,
            headers=dict(request.headers),
            data=body if isinstance(body, bytes) else (body or "").encode(),
            base_url=f"{url.scheme}://{url.netloc}",
        )
        try:
            app_iter, status, headers = run_wsgi_app(self.app, builder.get_environ())
            content = b"".join(app_iter)
            if hasattr(app_iter, "close"):
                app_iter.close()
        finally:
            builder.close()
        resp = requests.Response()
        resp.status_code = int(status.split()[0])
        resp.reason = status.split(" ", 1)[1]
        resp.headers = CaseInsensitiveDict(headers.to_wsgi_list())
        resp.raw = BytesIO(content)
        resp._content = content
        resp.url = request.url or ""
        resp.request = request
        return resp

    def close(self) -> None:
        pass
