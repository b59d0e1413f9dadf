"""The local mail catcher: an SMTP server on loopback (aiosmtpd) that keeps every message it is
given as an .eml file in a folder (``var/mail`` under ``make run``), and reads them back for the
caught-mail page. Local development and tests only: nothing is relayed anywhere."""

from __future__ import annotations

import datetime
import email
import email.policy
import re
import uuid
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

from aiosmtpd.controller import Controller

NAME = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9]{6}-[0-9a-f]{8}\.eml$")


class Keeper:
    """aiosmtpd handler: each message accepted is written to its own file, atomically."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope) -> str:
        now = datetime.datetime.now(datetime.UTC)
        name = f"{now:%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:8]}.eml"  # sorts in arrival order
        head = f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(head.encode("utf-8") + envelope.original_content)
        tmp.rename(self.folder / name)
        return "250 Message accepted for delivery"


def start(folder: str | Path, host: str = "127.0.0.1", port: int = 1025) -> Controller:
    """Start the catcher in a thread; ``.stop()`` it when done."""
    controller = Controller(Keeper(folder), hostname=host, port=port)
    controller.start()
    return controller


@dataclass
class CaughtMessage:
    name: str
    subject: str
    sender: str
    to: str
    date: datetime.datetime | None
    text: str
    html: str
    headers: list[tuple[str, str]]


def parse(name: str, data: bytes) -> CaughtMessage:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    try:
        date = parsedate_to_datetime(msg["Date"]) if msg["Date"] else None
    except (TypeError, ValueError):
        date = None
    return CaughtMessage(
        name=name,
        subject=str(msg["Subject"] or "").strip(),
        sender=str(msg["From"] or ""),
        to=str(msg["To"] or msg["X-Envelope-To"] or ""),
        date=date,
        text=plain.get_content() if plain is not None else "",
        html=html.get_content() if html is not None else "",
        headers=[(k, str(v)) for k, v in msg.items()],
    )


def list_messages(folder: str | Path, limit: int = 200) -> list[CaughtMessage]:
    """The newest messages first."""
    path = Path(folder)
    if not path.is_dir():
        return []
    names = sorted((p.name for p in path.iterdir() if NAME.match(p.name)), reverse=True)[:limit]
    return [parse(n, (path / n).read_bytes()) for n in names]


def read_message(folder: str | Path, name: str) -> CaughtMessage | None:
    if not NAME.match(name or ""):
        return None
    file = Path(folder) / name
    return parse(name, file.read_bytes()) if file.is_file() else None
