"""Sending through SMTP (the embedded sink by default, any relay by configuration): one
connection reused for a batch, STARTTLS and login when configured, failures classified."""

from __future__ import annotations

import smtplib
import ssl
from types import TracebackType

from services.notification.adapters.mail_settings import MailSettings
from services.notification.domain.delivery import Failure


class SendFailed(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.error)
        self.failure = failure


def classify(exc: BaseException) -> Failure:
    """A 5xx answer to the message (or its recipient) is permanent; anything else (4xx, a
    dropped connection, a timeout, a refused login) may pass and is retried."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        detail = "; ".join(f"{r}: {c} {m!r}" for r, (c, m) in exc.recipients.items())
        return Failure(f"recipient refused: {detail}", permanent=all(c >= 500 for c in codes))
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # A configuration problem of ours, not of the message: keep it until an operator fixes it.
        return Failure(f"authentication failed: {exc.smtp_code}", permanent=False)
    if isinstance(exc, smtplib.SMTPResponseException):
        message = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else exc.smtp_error
        )
        return Failure(f"{exc.smtp_code} {message}", permanent=500 <= exc.smtp_code < 600)
    return Failure(f"{type(exc).__name__}: {exc}", permanent=False)


class Mailer:
    """``with Mailer(settings) as m: m.send(message)``; reconnects after any failure."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
        try:
            smtp.ehlo()
            if s.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: bytes, *, sender: str, to: str) -> None:
        """Hand ``message`` (``messages.encode``) to the server; raises SendFailed with the
        classified failure."""
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            options: list[str] = []
            if not (sender + to).isascii():
                # An internationalised address (RFC 6531), as smtplib.send_message handles it.
                if not self._smtp.has_extn("smtputf8"):
                    raise smtplib.SMTPNotSupportedError("the server does not support SMTPUTF8")
                options = ["SMTPUTF8", "BODY=8BITMIME"]
            self._smtp.sendmail(sender, [to], message, mail_options=options)
        except (smtplib.SMTPException, OSError) as exc:
            # The connection's state is unknown after a failure: start afresh next time.
            self.close()
            raise SendFailed(classify(exc)) from exc

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
