"""A password guesser for the brute-force test: one connection, one or more AUTH attempts.

usage: mailAttacker.py <587|465|993> <source address> <server address> <user> <password>...

Runs in the attacker's network namespace (Debian's /usr/bin/python3, standard library only) and
prints one JSON line per attempt: {"attempt": n, "reply": "...", "ok": bool, "ms": wall time}, or
one {"error": "..."} line when the connection itself fails (refused, timed out: a ban).
"""
import base64
import imaplib
import json
import smtplib
import socket
import ssl
import sys
import time

port, source, server, user, passwords = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
# The test server's certificate is self-signed; the guesser does not care who it talks to.
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
# Dovecot's auth penalty holds an answer up to 15 s; Postfix gives up after 10 s.
TIMEOUT = 40


def emit(record):
    print(json.dumps(record), flush=True)


class BoundImap(imaplib.IMAP4_SSL):
    """IMAPS from a chosen source address (imaplib has no source_address)."""

    def _create_socket(self, timeout):
        sock = socket.create_connection((self.host, self.port), timeout, source_address=(source, 0))
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


def smtp_attempts():
    if port == 465:
        client = smtplib.SMTP_SSL(server, port, source_address=(source, 0), timeout=TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(server, port, source_address=(source, 0), timeout=TIMEOUT)
    client.ehlo("guesser.example")
    if port == 587:
        client.starttls(context=context)
        client.ehlo("guesser.example")
    for n, password in enumerate(passwords, 1):
        start = time.monotonic()
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        code, message = client.docmd("AUTH", f"PLAIN {token}")
        emit({"attempt": n, "reply": f"{code} {message.decode(errors='replace')}", "ok": code == 235, "ms": round((time.monotonic() - start) * 1000)})
        if code == 235:
            break
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        pass


def imap_attempts():
    client = BoundImap(server, port, ssl_context=context, timeout=TIMEOUT)
    for n, password in enumerate(passwords, 1):
        start = time.monotonic()
        try:
            typ, data = client.login(user, password)
            emit({"attempt": n, "reply": f"{typ} {data}", "ok": True, "ms": round((time.monotonic() - start) * 1000)})
            client.logout()
            return
        except imaplib.IMAP4.error as error:
            emit({"attempt": n, "reply": str(error), "ok": False, "ms": round((time.monotonic() - start) * 1000)})
    try:
        client.logout()
    except (imaplib.IMAP4.error, OSError):
        pass


try:
    smtp_attempts() if port in (587, 465) else imap_attempts()
except (OSError, smtplib.SMTPException, imaplib.IMAP4.error) as error:
    emit({"error": f"{type(error).__name__}: {error}"})
