"""Sending e-mail over SMTP: the server settings, one connection for a batch of messages, and each
failure as one line. Nothing here raises for a server or network failure; it says what went wrong."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import TypeVar

from sync.config import Config

SMTP_TIMEOUT = 30.0  # seconds per connect or command: a hung server costs one run this much, no more

Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send: the SMTP server, its security (starttls, ssl or none) and login."""

    host: str
    port: int
    security: str = "starttls"  # starttls | ssl | none
    user: str = ""
    password: str = field(default="", repr=False)
    timeout: float = SMTP_TIMEOUT


def smtp_settings(config: Config) -> SmtpSettings | None:
    """The SMTP settings of a checked Config (smtp_*: the SYNC_SMTP_* variables); None when its
    smtp_host is blank, which turns alerts off."""
    if not config.smtp_host:
        return None
    return SmtpSettings(
        config.smtp_host, config.smtp_port, config.smtp_security, config.smtp_user, config.smtp_password
    )


def send(smtp: SmtpSettings, messages: Mapping[Key, EmailMessage]) -> tuple[dict[Key, list[str]], dict[Key, str]]:
    """Send each message over one connection. Returns the messages sent, each with the recipients
    the server refused (the others got it), and why each other message was not sent. Never raises
    for SMTP or network failures: a server that cannot be reached fails every message alike."""
    if not messages:
        return {}, {}
    try:
        server = _connect(smtp)
    except (smtplib.SMTPException, OSError) as error:
        return {}, {key: f"SMTP server {smtp.host}:{smtp.port}: {reason(error)}" for key in messages}
    sent, failed = {}, {}
    try:
        for key, message in messages.items():
            try:
                sent[key] = list(server.send_message(message))
            except (smtplib.SMTPException, OSError, ValueError) as error:  # ValueError: a non-ASCII address
                failed[key] = reason(error)
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            server.close()
    return sent, failed


def reason(error: BaseException) -> str:
    """One line: '535 authentication failed', '[Errno 111] Connection refused', 'timed out'."""
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return " ".join(f"{error.smtp_code} {text}".split())
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "every recipient was refused: " + ", ".join(error.recipients)
    return " ".join(str(error).split()) or type(error).__name__


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    server: smtplib.SMTP  # SMTP_SSL is an SMTP
    if smtp.security == "ssl":
        server = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    try:
        if smtp.security == "starttls":
            server.starttls(context=context)
        if smtp.user:
            server.login(smtp.user, smtp.password)
    except BaseException:
        server.close()
        raise
    return server
