"""A read-only web view of the sink, so a newcomer can see what the platform sent.

``GET /`` lists messages, ``GET /messages/<name>`` shows one (headers and text part),
``GET /messages/<name>.eml`` downloads it, ``GET /api/messages`` lists them as JSON.
Every name goes through ``MailStore.get``, which only accepts names the store lists, so no URL
reaches a file outside the sink. Templates are ``.html`` files, hence autoescaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from flask import Flask, Response, abort, jsonify, render_template, url_for

from .store import MailStore, StoredMessage, UnknownMessage, parse_message


@dataclass(frozen=True, slots=True)
class _Part:
    content_type: str
    filename: str | None
    size: int


def create_app(directory: Path | str) -> Flask:
    app = Flask(__name__)
    store = MailStore(directory)

    @app.template_filter("utc")
    def _utc(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")

    @app.get("/")
    def index() -> str:
        return render_template("index.html", messages=store.list(), directory=store.directory)

    @app.get("/messages/<name>")
    def message(name: str) -> Response | str:
        if name.endswith(".eml"):
            return _download(store, name)
        stored = _describe(store, name)
        parsed = parse_message(store.get(name))
        return render_template(
            "message.html",
            message=stored,
            headers=[(key, str(value)) for key, value in parsed.items()],
            text=_text_part(parsed),
            parts=_parts(parsed),
        )

    @app.get("/api/messages")
    def api_messages() -> Response:
        return jsonify([_api_entry(stored) for stored in store.list()])

    return app


def _describe(store: MailStore, name: str) -> StoredMessage:
    try:
        return store.describe(name)
    except UnknownMessage:
        abort(404)


def _download(store: MailStore, name: str) -> Response:
    try:
        raw = store.get(name)
    except UnknownMessage:
        abort(404)
    return Response(
        raw,
        mimetype="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _api_entry(stored: StoredMessage) -> dict[str, object]:
    entry = stored.to_dict()
    entry["url"] = url_for("message", name=stored.name)
    entry["raw_url"] = url_for("message", name=stored.file_name)
    return entry


def _text_part(message: EmailMessage) -> str | None:
    body = message.get_body(preferencelist=("plain",))
    if not isinstance(body, EmailMessage):
        return None
    try:
        content = body.get_content()
    except (LookupError, UnicodeError):  # unknown or lying charset: show what we can
        payload = body.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else None
    return content if isinstance(content, str) else None


def _parts(message: EmailMessage) -> list[_Part]:
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        parts.append(_Part(part.get_content_type(), part.get_filename(), size))
    return parts
