import { publicInboundPorts } from "../../../baseline/network";
import { minimumTlsVersion } from "../../../baseline/tls";
import { hostLayout } from "../../hostLayout";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";
import { postfixSpoolPath, postfixSpoolSockets, virtualMailUser } from "./mailDaemonWiring";
import { baselineCipherList } from "./tlsPolicy";

export const dovecotConfPath = "/etc/dovecot/dovecot.conf";

function imapsPort(): number {
  const rule = publicInboundPorts.find((r) => r.service === "imaps");
  if (!rule) throw new Error("baseline/network has no imaps port");
  return rule.port;
}

/**
 * /etc/dovecot/dovecot.conf, complete: IMAPS only, the tenant's mailboxes from a passwd-file, the
 * auth and LMTP sockets Postfix uses. One file of ours instead of patching Debian's conf.d: what
 * `doveconf -n` shows is exactly what was rendered, no packaged snippet (PAM auth, snakeoil
 * certificates, plaintext IMAP on 143) can come back through an include, and a package upgrade
 * that changes conf.d cannot change this server.
 */
export function renderDovecotConf(ctx: HostRenderContext): string {
  const { uid, gid } = virtualMailUser;
  return [
    renderFileHeader(ctx, dovecotConfPath),
    "# Debian's conf.d is deliberately not included: this file is the whole configuration.",
    "",
    "# IMAP for mail clients, LMTP for Postfix's deliveries. No POP3.",
    "protocols = imap lmtp",
    "listen = *, ::",
    "# Clients see no product name or version.",
    "login_greeting = IMAP ready.",
    "",
    "# --- Logging: Debian 12 has no syslog daemon; fail2ban's dovecot jail reads this file ---",
    `log_path = ${hostLayout.dovecotLog}`,
    "",
    "# --- TLS ---",
    "# No connection proceeds without TLS, and IMAPS (implicit TLS, RFC 8314) is the only listener.",
    "ssl = required",
    `ssl_cert = <${hostLayout.tls.fullchain}`,
    `ssl_key = <${hostLayout.tls.privateKey}`,
    `ssl_min_protocol = ${minimumTlsVersion}`,
    "# The six ECDHE AEAD suites of Mozilla's intermediate profile; no DHE, so no ssl_dh is needed.",
    `ssl_cipher_list = ${baselineCipherList}`,
    "# The server's order wins, so a client cannot steer the handshake to its weakest common suite.",
    "ssl_prefer_server_ciphers = yes",
    "ssl_options = no_compression",
    "",
    "service imap-login {",
    "  # Plain IMAP on 143 stays closed; STARTTLS would add nothing IMAPS does not already do.",
    "  inet_listener imap {",
    "    port = 0",
    "  }",
    "  inet_listener imaps {",
    `    port = ${imapsPort()}`,
    "    ssl = yes",
    "  }",
    "}",
    "",
    "# --- Authentication ---",
    "# No password is ever accepted outside TLS (ssl = required makes this belt and braces).",
    "disable_plaintext_auth = yes",
    "# LOGIN as well as PLAIN: some clients (older Outlook) offer nothing else. Both only inside TLS.",
    "auth_mechanisms = plain login",
    "# Logins are full addresses, compared in lowercase as the passwd-file stores them.",
    "auth_username_format = %Lu",
    "passdb {",
    "  driver = passwd-file",
    "  # One line per mailbox: address:{BLF-CRYPT}hash. No plaintext scheme is accepted by the config parser.",
    `  args = scheme=BLF-CRYPT username_format=%u ${hostLayout.dovecotPasswdFile}`,
    "}",
    "userdb {",
    "  # Every mailbox belongs to the one virtual mail user; its home is under the mail store.",
    "  driver = static",
    `  args = uid=${uid} gid=${gid} home=${hostLayout.mailStorageDir}/%d/%n`,
    "}",
    "# Mail is only ever read or written as the virtual mail user, never as a system account.",
    `first_valid_uid = ${uid}`,
    `last_valid_uid = ${uid}`,
    `first_valid_gid = ${gid}`,
    `last_valid_gid = ${gid}`,
    "mail_location = maildir:~/Maildir",
    "",
    "namespace inbox {",
    "  inbox = yes",
    "  # The special-use folders clients expect (RFC 6154), created on first login.",
    "  mailbox Drafts {",
    "    special_use = \\Drafts",
    "    auto = subscribe",
    "  }",
    "  mailbox Junk {",
    "    special_use = \\Junk",
    "    auto = subscribe",
    "  }",
    "  mailbox Sent {",
    "    special_use = \\Sent",
    "    auto = subscribe",
    "  }",
    "  mailbox Trash {",
    "    special_use = \\Trash",
    "    auto = subscribe",
    "  }",
    "}",
    "",
    "# --- Sockets for Postfix, inside its spool (its daemons run chrooted there) ---",
    "service auth {",
    "  # Postfix's smtpd asks here whether a SASL login is valid (smtpd_sasl_path).",
    `  unix_listener ${postfixSpoolPath(postfixSpoolSockets.dovecotAuth)} {`,
    "    mode = 0660",
    "    user = postfix",
    "    group = postfix",
    "  }",
    "}",
    "service lmtp {",
    "  # Postfix delivers the tenant's mail here (virtual_transport); nobody else may.",
    `  unix_listener ${postfixSpoolPath(postfixSpoolSockets.dovecotLmtp)} {`,
    "    mode = 0600",
    "    user = postfix",
    "    group = postfix",
    "  }",
    "}",
    "protocol lmtp {",
    `  postmaster_address = postmaster@${ctx.config.domain}`,
    "}",
    "",
  ].join("\n");
}
