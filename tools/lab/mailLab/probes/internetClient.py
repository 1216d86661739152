"""The mail lab's clients on the internet side: what a mail client, a spammer or a password guesser
sends to the tenant's host. Run in the lab's client namespace with Debian's /usr/bin/python3
(standard library only), bound to one role's address. Prints one JSON document on stdout.

usage: internetClient.py <command> [options]; passwords come from $LAB_PASSWORD, never argv.
"""
import argparse
import base64
import imaplib
import json
import os
import smtplib
import socket
import ssl
import threading
import time
import warnings
from email.message import EmailMessage
from email.utils import make_msgid, formatdate

TIMEOUT = 30
# The TLS 1.0/1.1 probe names those versions on purpose.
warnings.filterwarnings("ignore", category=DeprecationWarning)


def verified_context(cafile, check_hostname=True):
    context = ssl.create_default_context(cafile=cafile)
    context.check_hostname = check_hostname
    return context


def unverified_context():
    # Probes that only count replies (a guesser, a relay attempt) do not care who answers.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def smtp_client(args, context):
    """An SMTP session to args.server:args.port from args.source, TLS up (STARTTLS on 25/587)."""
    if args.port == 465:
        client = smtplib.SMTP_SSL(source_address=(args.source, 0), timeout=TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(source_address=(args.source, 0), timeout=TIMEOUT)
    # The name the certificate is checked against (smtplib would use the address it connects to).
    client._host = args.servername
    client.connect(args.server, args.port)
    client.ehlo(args.helo)
    if args.port != 465:
        client.starttls(context=context)
        client.ehlo(args.helo)
    return client


def quit_quietly(client):
    # The verdict is in already; a server that hangs up first does not change it.
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        pass


def tls_version(client):
    sock = client.sock
    return sock.version() if isinstance(sock, ssl.SSLSocket) else None


def message(args, recipients):
    msg = EmailMessage()
    msg["From"] = args.mail_from
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = args.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=args.mail_from.split("@")[-1])
    msg.set_content(f"{args.subject}\n\nSent by the PenguinMails mail lab.\n")
    return msg


def command_submit(args):
    """Logs in on 587 or 465 and submits one message; the server's verdict on each step."""
    recipients = args.to.split(",")
    client = smtp_client(args, verified_context(args.cafile))
    out = {"tls": tls_version(client)}
    try:
        client.login(args.user, os.environ["LAB_PASSWORD"])
        refused = client.send_message(message(args, recipients), from_addr=args.mail_from, to_addrs=recipients)
        out.update({"accepted": [r for r in recipients if r not in refused], "refused": {r: f"{c} {m.decode(errors='replace')}" for r, (c, m) in refused.items()}})
    except smtplib.SMTPRecipientsRefused as error:
        out.update({"accepted": [], "refused": {r: f"{c} {m.decode(errors='replace')}" for r, (c, m) in error.recipients.items()}})
    except smtplib.SMTPResponseException as error:
        out.update({"accepted": [], "error": f"{error.smtp_code} {error.smtp_error.decode(errors='replace')}"})
    finally:
        quit_quietly(client)
    return out


def command_relay(args):
    """Mail without logging in, to a foreign domain, in the plain form and the classic tricks."""
    out = {"attempts": []}
    for recipient in args.rcpt:
        entry = {"rcpt": recipient}
        try:
            client = smtplib.SMTP(args.server, args.port, source_address=(args.source, 0), timeout=TIMEOUT)
            client.ehlo(args.helo)
            if args.starttls:
                client.starttls(context=unverified_context())
                client.ehlo(args.helo)
            code, reply = client.mail(args.mail_from)
            entry["mail"] = f"{code} {reply.decode(errors='replace')}"
            code, reply = client.docmd("RCPT", f"TO:{recipient}")
            entry["rcpt_reply"] = f"{code} {reply.decode(errors='replace')}"
            if 200 <= code < 300:
                data_code, data_reply = client.data(message(args, [recipient]).as_bytes())
                entry["data_reply"] = f"{data_code} {data_reply.decode(errors='replace')}"
            quit_quietly(client)
        except (OSError, smtplib.SMTPException) as error:
            entry["error"] = f"{type(error).__name__}: {error}"
        out["attempts"].append(entry)
    return out


def command_auth_before_tls(args):
    """What a client sees on the plaintext session: the EHLO keywords and the answer to AUTH."""
    client = smtplib.SMTP(args.server, args.port, source_address=(args.source, 0), timeout=TIMEOUT)
    out = {}
    code, reply = client.ehlo(args.helo)
    out["ehlo_plain"] = reply.decode(errors="replace").split("\n")[1:]
    if not args.no_auth:
        token = base64.b64encode(f"\0{args.user}\0not-the-password".encode()).decode()
        code, reply = client.docmd("AUTH", f"PLAIN {token}")
        out["auth_plain_reply"] = f"{code} {reply.decode(errors='replace')}"
    try:
        client.starttls(context=unverified_context())
        code, reply = client.ehlo(args.helo)
        out["ehlo_tls"] = reply.decode(errors="replace").split("\n")[1:]
    except (smtplib.SMTPException, OSError) as error:
        out["starttls_error"] = f"{type(error).__name__}: {error}"
    quit_quietly(client)
    return out


def command_connection_burst(args):
    """Opens connections one after another and reads each greeting: 220, then 421 past the limit."""
    greetings = []
    for _ in range(args.count):
        try:
            sock = socket.create_connection((args.server, args.port), timeout=10, source_address=(args.source, 0))
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(512)
                if not chunk:
                    break
                data += chunk
            greetings.append(data.decode(errors="replace").strip()[:3] or "closed")
            try:
                sock.sendall(b"QUIT\r\n")
                sock.recv(512)
            except OSError:
                pass
            sock.close()
        except OSError as error:
            greetings.append(type(error).__name__)
    return {"greetings": greetings}


def guess_once(args, password):
    """One connection, one login with a wrong password; the reply and when it came."""
    started = time.monotonic()
    try:
        if args.port == 993:
            client = BoundImap(args.source, args.server, args.port, ssl_context=unverified_context(), timeout=TIMEOUT)
            try:
                client.login(args.user, password)
                reply, ok = "OK", True
            except imaplib.IMAP4.error as error:
                reply, ok = str(error), False
            try:
                client.logout()
            except (imaplib.IMAP4.error, OSError):
                pass
        else:
            client = smtp_client(args, unverified_context())
            token = base64.b64encode(f"\0{args.user}\0{password}".encode()).decode()
            code, text = client.docmd("AUTH", f"PLAIN {token}")
            reply, ok = f"{code} {text.decode(errors='replace')}", code == 235
            quit_quietly(client)
        return {"reply": reply, "ok": ok, "at": time.time(), "ms": round((time.monotonic() - started) * 1000)}
    except (OSError, smtplib.SMTPException, imaplib.IMAP4.error) as error:
        return {"error": f"{type(error).__name__}: {error}", "at": time.time(), "ms": round((time.monotonic() - started) * 1000)}


def command_guess(args):
    """Wrong passwords in parallel connections (Dovecot's auth penalty would make a serial guesser slow)."""
    results = [None] * args.count
    def worker(index):
        results[index] = guess_once(args, f"wrong-{index}-{os.getpid()}")
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"attempts": results}


def command_connect(args):
    """Whether each port accepts a TCP connection: open, refused (a reject rule, a ban) or timeout (a drop)."""
    out = {}
    for port in args.ports:
        family = socket.AF_INET6 if ":" in args.server else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(args.timeout)
        try:
            sock.bind((args.source, 0))
            sock.connect((args.server, port))
            out[str(port)] = "open"
        except ConnectionRefusedError:
            out[str(port)] = "refused"
        except socket.timeout:
            out[str(port)] = "timeout"
        except OSError as error:
            out[str(port)] = f"{type(error).__name__}: {error}"
        finally:
            sock.close()
    return out


class BoundImap(imaplib.IMAP4_SSL):
    """IMAPS from a chosen source address (imaplib has no source_address)."""

    def __init__(self, source, host, port, ssl_context, timeout, servername=None):
        self._source = source
        self._servername = servername or host
        super().__init__(host, port, ssl_context=ssl_context, timeout=timeout)

    def _create_socket(self, timeout):
        sock = socket.create_connection((self.host, self.port), timeout, source_address=(self._source, 0))
        return self.ssl_context.wrap_socket(sock, server_hostname=self._servername)


def command_imap_search(args):
    """Logs in over IMAPS (certificate verified for the mail host's name) and lists the subjects in INBOX."""
    client = BoundImap(args.source, args.server, 993, ssl_context=verified_context(args.cafile), timeout=TIMEOUT, servername=args.servername)
    out = {"tls": client.sock.version()}
    try:
        client.login(args.user, os.environ["LAB_PASSWORD"])
        client.select("INBOX", readonly=True)
        typ, data = client.search(None, "ALL")
        subjects = []
        for number in (data[0] or b"").split():
            typ, fetched = client.fetch(number, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            for part in fetched:
                if isinstance(part, tuple):
                    subjects.append(part[1].decode(errors="replace").strip().replace("\r\n", " ")[len("Subject: "):])
        out["subjects"] = subjects
        client.logout()
    except imaplib.IMAP4.error as error:
        out["error"] = str(error)
    return out


def command_send(args):
    """Hands messages to an MTA that relays for this client (the remote MTA, for mail into the tenant)."""
    accepted = 0
    errors = []
    recipients = args.to.split(",")
    for index in range(args.count):
        try:
            client = smtplib.SMTP(args.server, 25, source_address=(args.source, 0), timeout=TIMEOUT)
            client.ehlo(args.helo)
            numbered = argparse.Namespace(**{**vars(args), "subject": f"{args.subject} #{index + 1}" if args.count > 1 else args.subject})
            client.send_message(message(numbered, recipients), from_addr=args.mail_from, to_addrs=recipients)
            client.quit()
            accepted += 1
        except (OSError, smtplib.SMTPException) as error:
            errors.append(f"#{index + 1}: {type(error).__name__}: {error}")
        if args.interval:
            time.sleep(args.interval)
    return {"accepted": accepted, "errors": errors}


def read_reply(sock_file):
    """One SMTP reply (all its lines); the last line's code."""
    lines = []
    while True:
        line = sock_file.readline()
        if not line:
            raise ConnectionError("the server closed the connection")
        lines.append(line.decode(errors="replace").rstrip())
        if len(line) < 4 or line[3:4] != b"-":
            return lines[-1][:3], lines


def starttls(sock, helo):
    """The plaintext part of an SMTP session up to a 220 to STARTTLS."""
    sock_file = sock.makefile("rb")
    code, lines = read_reply(sock_file)
    if code != "220":
        raise ConnectionError(f"greeting: {lines[-1]}")
    sock.sendall(f"EHLO {helo}\r\n".encode())
    code, lines = read_reply(sock_file)
    if code != "250":
        raise ConnectionError(f"EHLO: {lines[-1]}")
    sock.sendall(b"STARTTLS\r\n")
    code, lines = read_reply(sock_file)
    if code != "220":
        raise ConnectionError(f"STARTTLS: {lines[-1]}")


TLS_VERSIONS = [("TLSv1", ssl.TLSVersion.TLSv1), ("TLSv1.1", ssl.TLSVersion.TLSv1_1), ("TLSv1.2", ssl.TLSVersion.TLSv1_2), ("TLSv1.3", ssl.TLSVersion.TLSv1_3)]


def command_tls_versions(args):
    """One handshake per TLS version, the client offering only that version. The old ones at
    OpenSSL security level 0 with every suite, or the client would refuse them itself; the
    current ones with the certificate verified against the lab's root and the server's name."""
    out = {}
    for name, version in TLS_VERSIONS:
        old = version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1)
        context = unverified_context() if old else verified_context(args.cafile)
        if old:
            context.set_ciphers("ALL:@SECLEVEL=0")
        context.minimum_version = version
        context.maximum_version = version
        entry = {}
        try:
            family = socket.AF_INET6 if ":" in args.server else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(TIMEOUT)
            sock.bind((args.source, 0))
            sock.connect((args.server, args.port))
            if args.port in (25, 587):
                starttls(sock, args.helo)
            tls = context.wrap_socket(sock, server_hostname=args.servername)
            entry = {"accepted": True, "version": tls.version(), "cipher": tls.cipher()[0], "verified": not old}
            tls.close()
        except ssl.SSLError as error:
            entry = {"accepted": False, "error": f"{error.reason or error}"}
        except (OSError, ConnectionError) as error:
            entry = {"accepted": False, "error": f"{type(error).__name__}: {error}"}
        out[name] = entry
    return out


def command_peer_certificate(args):
    """The certificate the server presents after STARTTLS (or on 465/993), as DER in base64: what a
    DANE client compares with the TLSA records. Not verified here; the caller judges the key."""
    family = socket.AF_INET6 if ":" in args.server else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT)
    sock.bind((args.source, 0))
    sock.connect((args.server, args.port))
    if args.port in (25, 587):
        starttls(sock, args.helo)
    tls = unverified_context().wrap_socket(sock, server_hostname=args.servername)
    der = tls.getpeercert(binary_form=True)
    tls.close()
    return {"der": base64.b64encode(der).decode()}


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--source", required=True)
    common.add_argument("--server", required=True)
    common.add_argument("--servername")
    common.add_argument("--port", type=int, default=25)
    common.add_argument("--helo", default="client.lab.invalid")
    common.add_argument("--cafile")
    common.add_argument("--user")
    common.add_argument("--mail-from")
    common.add_argument("--to")
    common.add_argument("--subject", default="mail lab")
    sub.add_parser("submit", parents=[common])
    relay = sub.add_parser("relay", parents=[common])
    relay.add_argument("--rcpt", action="append", default=[])
    relay.add_argument("--starttls", action="store_true")
    auth_before_tls = sub.add_parser("auth-before-tls", parents=[common])
    auth_before_tls.add_argument("--no-auth", action="store_true", help="only EHLO and STARTTLS")
    burst = sub.add_parser("connection-burst", parents=[common])
    burst.add_argument("--count", type=int, required=True)
    guess = sub.add_parser("guess", parents=[common])
    guess.add_argument("--count", type=int, required=True)
    connect = sub.add_parser("connect", parents=[common])
    connect.add_argument("--ports", type=int, nargs="+", action="extend", required=True)
    connect.add_argument("--timeout", type=float, default=3)
    sub.add_parser("imap-search", parents=[common])
    sub.add_parser("tls-versions", parents=[common])
    sub.add_parser("peer-certificate", parents=[common])
    send = sub.add_parser("send", parents=[common])
    send.add_argument("--count", type=int, default=1)
    send.add_argument("--interval", type=float, default=0)
    args = parser.parse_args()
    if args.servername is None:
        args.servername = args.server
    handler = {
        "submit": command_submit,
        "relay": command_relay,
        "auth-before-tls": command_auth_before_tls,
        "connection-burst": command_connection_burst,
        "guess": command_guess,
        "connect": command_connect,
        "imap-search": command_imap_search,
        "send": command_send,
        "tls-versions": command_tls_versions,
        "peer-certificate": command_peer_certificate,
    }[args.command]
    try:
        result = handler(args)
    except (OSError, smtplib.SMTPException, imaplib.IMAP4.error, ssl.SSLError) as error:
        result = {"error": f"{type(error).__name__}: {error}"}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
