import type { BundleFile } from "../../bundleFile";
import { dkimPrivateKeyPath } from "../../hostLayout";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";
import { postfixSpoolPath, postfixSpoolSockets } from "./mailDaemonWiring";

export const opendkimConfPath = "/etc/opendkim.conf";

/**
 * /etc/opendkim.conf: sign the tenant domain's outgoing mail with the active selector's key.
 * Debian's opendkim.service reads this file and expects the pid file named here.
 */
export function renderOpendkimConf(ctx: HostRenderContext): string {
  const { domain, dkim } = ctx.config;
  if (!dkim.selectors.includes(dkim.active)) throw new Error(`DKIM selector ${dkim.active} signs but is not published`);
  return [
    renderFileHeader(ctx, opendkimConfPath),
    "# Sign only. Nothing on this host consumes verification results (no spam filter reads them),",
    "# and verifying would mean DNS lookups and parsing untrusted signatures for every inbound message.",
    "Mode s",
    "# One domain, one active key: the other published selectors' keys stay on disk for rotation.",
    `Domain ${domain}`,
    `Selector ${dkim.active}`,
    `KeyFile ${dkimPrivateKeyPath(dkim.active)}`,
    "# Refuse a key file that other users could read or write.",
    "RequireSafeKeys yes",
    "# relaxed/relaxed survives the whitespace and header folding changes relays make (baseline).",
    "Canonicalization relaxed/relaxed",
    "SignatureAlgorithm rsa-sha256",
    "# Sign one more From than present, so no second From can be added after signing.",
    "OversignHeaders From",
    "SubDomains no",
    "",
    "# What gets signed: mail Postfix received on the submission ports (daemon_name ORIGINATING,",
    "# set in master.cf) and local mail from 127.0.0.1 (OpenDKIM's default internal host).",
    "MacroList daemon_name|ORIGINATING",
    "",
    "# A UNIX socket inside Postfix's spool, where the chrooted smtpd and cleanup reach it. The",
    "# group postfix and UMask 007 make it 0660: only Postfix can ask for a signature, which a",
    "# loopback TCP socket (open to every local process) could not ensure.",
    `Socket local:${postfixSpoolPath(postfixSpoolSockets.opendkim)}`,
    "UserID opendkim:postfix",
    "UMask 007",
    "PidFile /run/opendkim/opendkim.pid",
    "",
    "# Any DNS lookup goes to the local validating resolver (unbound on 127.0.0.1), which a test",
    "# network can point at its own zones without changing this file.",
    "Nameservers 127.0.0.1",
    "TrustAnchorFile /usr/share/dns/root.key",
    "",
    "# Debian 12 has no syslog daemon: these lines land in the journal (opendkim.service).",
    "Syslog yes",
    "SyslogSuccess yes",
    "# No DKIM-Filter header naming the software and its version.",
    "SoftwareHeader no",
    "",
  ].join("\n");
}

/**
 * One selector's private key as a bundle file: 0600 opendkim, as RequireSafeKeys demands. The
 * bundle builder calls this for every published selector with the key from the Pulumi secret.
 */
export function dkimKeyFile(selector: string, pem: string): BundleFile {
  if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(selector)) throw new Error(`DKIM selector ${JSON.stringify(selector)} is not a DNS label`);
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(pem)) throw new Error(`DKIM key for selector ${selector} is not a PEM private key`);
  return {
    path: dkimPrivateKeyPath(selector),
    content: pem.endsWith("\n") ? pem : `${pem}\n`,
    mode: 0o600,
    owner: "opendkim",
    group: "opendkim",
    service: "opendkim",
    secret: true,
  };
}
