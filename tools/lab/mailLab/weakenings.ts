/**
 * Deliberately weakened bundles: each edits the planned bundle the way a regression would, and
 * names the checks that must then fail (and those that may fail with it, for a plausible reason).
 * `--weaken` applies them before the apply; the lab's own test runs them to prove every check can
 * fail. An edit that finds nothing to change throws: the rendered file changed shape, and a
 * weakening that weakens nothing would prove nothing.
 */

import { generateKeyPairSync } from "node:crypto";
import type { HostBundle } from "../../../hostBundle/format/hostBundle";
import { hostLayout } from "../../../hostBundle/hostLayout";
import { bundleFile, withApplySettings, withFileContents } from "./labBundle";
import type { CheckName } from "./checks/checkNames";

export interface Weakening {
  readonly name: string;
  readonly description: string;
  /** Checks that must fail with this weakening. */
  readonly breaks: readonly CheckName[];
  /** Checks that may fail too, and why that is plausible. */
  readonly mayAlsoBreak: readonly CheckName[];
  /** Asks the lab for a second certificate from its CA, for the same names with a fresh key. */
  readonly needsCertificateWithOtherKey?: boolean;
  apply(bundle: HostBundle, context: WeakeningContext): HostBundle;
}

export interface WeakeningContext {
  readonly certificateWithOtherKey?: { readonly fullchainPem: string; readonly privateKeyPem: string };
}

const mainCf = "/etc/postfix/main.cf";

/** Replaces the value of one main.cf parameter, which must be set there. */
function setMainCf(bundle: HostBundle, settings: Readonly<Record<string, string>>): HostBundle {
  let text = bundleFile(bundle, mainCf).content;
  for (const [name, value] of Object.entries(settings)) {
    const line = new RegExp(`^${name} = .*$`, "m");
    text = line.test(text) ? text.replace(line, `${name} = ${value}`) : `${text}${name} = ${value}\n`;
  }
  return withFileContents(bundle, new Map([[mainCf, text]]));
}

/** Applies text edits to one file; each `from` must occur. */
function edit(bundle: HostBundle, path: string, edits: readonly (readonly [string | RegExp, string])[]): HostBundle {
  let text = bundleFile(bundle, path).content;
  for (const [from, to] of edits) {
    const next = text.replace(from, to);
    if (next === text) throw new Error(`weakening: ${path} has no ${String(from)} to change (the rendered file changed shape)`);
    text = next;
  }
  return withFileContents(bundle, new Map([[path, text]]));
}

function onlyFile(bundle: HostBundle, predicate: (path: string) => boolean, what: string): string {
  const found = bundle.files.filter((f) => predicate(f.path));
  if (found.length !== 1) throw new Error(`weakening: expected one ${what} in the bundle, found ${found.length}`);
  return found[0]!.path;
}

/** One associative array's declaration in apply-settings.sh and the entry for `key` in it. */
function applySettingEntry(settings: string, array: string, key: string): { start: number; end: number; entry: RegExp } {
  const start = settings.indexOf(`declare -gA ${array}=(\n`);
  const end = settings.indexOf("\n)\n", start);
  if (start < 0 || end < 0) throw new Error(`weakening: apply-settings.sh declares no ${array}`);
  const entry = new RegExp(`^  \\[${key}\\]='([^']*)'$`, "m");
  if (!entry.test(settings.slice(start, end))) throw new Error(`weakening: apply-settings.sh's ${array} has no ${key} entry`);
  return { start, end, entry };
}

function applySetting(settings: string, array: string, key: string): string {
  const { start, end, entry } = applySettingEntry(settings, array, key);
  return entry.exec(settings.slice(start, end))![1]!;
}

/** apply-settings.sh with one entry of one associative array set (a value without single quotes). */
function setApplySetting(settings: string, array: string, key: string, value: string): string {
  const { start, end, entry } = applySettingEntry(settings, array, key);
  return settings.slice(0, start) + settings.slice(start, end).replace(entry, `  [${key}]='${value}'`) + settings.slice(end);
}

export const weakenings: readonly Weakening[] = [
  {
    name: "tls10",
    description: "every listener offers TLS 1.0 and 1.1 again (Postfix, Dovecot, nginx), with the CBC suites they need, at OpenSSL security level 0",
    breaks: ["tls.25", "tls.465", "tls.587", "tls.993", "tls.443"],
    mayAlsoBreak: [],
    apply: (b) => {
      const cbc = "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0";
      const ciphers = /^tls_high_cipherlist = (.*)$/m.exec(bundleFile(b, mainCf).content)?.[1];
      if (!ciphers) throw new Error("weakening tls10: main.cf sets no tls_high_cipherlist");
      const postfix = setMainCf(b, { smtpd_tls_protocols: ">=TLSv1", smtpd_tls_mandatory_protocols: ">=TLSv1", tls_high_cipherlist: `${ciphers}:${cbc}` });
      const dovecot = edit(postfix, "/etc/dovecot/dovecot.conf", [
        [/^ssl_min_protocol = .*$/m, "ssl_min_protocol = TLSv1"],
        [/^(ssl_cipher_list = .*)$/m, `$1:${cbc}`],
      ]);
      const site = onlyFile(dovecot, (p) => p.startsWith("/etc/nginx/conf.d/"), "nginx site");
      return edit(dovecot, site, [
        [/ssl_protocols TLSv1\.2 TLSv1\.3;/g, "ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;"],
        [/(ssl_ciphers [^;]*);/g, `$1:${cbc};`],
      ]);
    },
  },
  {
    name: "no-starttls",
    description: "port 25 offers no STARTTLS (and the apply no longer probes TLS there, or it would roll this back): senders without DANE deliver in plaintext, DANE senders hold the mail",
    // A DANE sender refuses a host with TLSA records that offers no STARTTLS; the TLSA check reads
    // the certificate served after STARTTLS.
    breaks: ["mail.in", "tls.25", "dane.tlsa"],
    // These use STARTTLS on 25 on the way to what they check; the rollback check's broken Postfix
    // shows on 25, where the apply no longer looks.
    mayAlsoBreak: ["smtp.auth-after-starttls", "smtp.no-relay", "apply.rollback"],
    apply: (b) => {
      const probes = applySetting(b.applySettings, "SERVICE_TLS_PROBES", "postfix").split(" ").filter((p) => !p.startsWith("25/"));
      return withApplySettings(setMainCf(b, { smtpd_tls_security_level: "none" }), setApplySetting(b.applySettings, "SERVICE_TLS_PROBES", "postfix", probes.join(" ")));
    },
  },
  {
    name: "relay",
    description: "an open relay: mynetworks is the whole internet, and mynetworks may relay",
    breaks: ["smtp.no-relay"],
    // Clients in mynetworks are exempt from anvil's limits; relay tricks that get past RCPT reach
    // the recipient checks, which log the odd addresses as errors.
    mayAlsoBreak: ["smtp.connection-limit", "logs.clean"],
    apply: (b) => setMainCf(b, { mynetworks: "0.0.0.0/0 [::]/0", smtpd_relay_restrictions: "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination" }),
  },
  {
    name: "auth-before-tls",
    description: "587 no longer requires STARTTLS and offers AUTH (PLAIN and LOGIN) in plaintext",
    breaks: ["smtp.auth-after-starttls"],
    // The probe's AUTH with a wrong password is now evaluated, and Postfix logs the failed login.
    mayAlsoBreak: ["logs.clean"],
    // smtpd_tls_security_level=encrypt implies AUTH only after STARTTLS: the submission service must drop it too.
    apply: (b) =>
      edit(setMainCf(b, { smtpd_tls_auth_only: "no", smtpd_sasl_security_options: "noanonymous" }), "/etc/postfix/master.cf", [
        [/(\nsubmission\s+inet[^\n]*\n(?:\s+-o [^\n]*\n)*?\s+-o smtpd_tls_security_level=)encrypt/, "$1may"],
      ]),
  },
  {
    name: "no-connection-limit",
    description: "no anvil limit on connections per client",
    breaks: ["smtp.connection-limit"],
    mayAlsoBreak: [],
    apply: (b) => setMainCf(b, { smtpd_client_connection_rate_limit: "0" }),
  },
  {
    name: "no-account-limit",
    description: "the per-account recipient limit (the policy service at DATA) is gone from submission",
    breaks: ["smtp.account-limit"],
    mayAlsoBreak: [],
    apply: (b) => setMainCf(b, { penguinmails_submission_data_restrictions: "" }),
  },
  {
    name: "log-warning",
    description: "outbound TLS names a CA file that does not exist: Postfix warns on every delivery and sends in plaintext",
    breaks: ["logs.clean"],
    // Without a CA file the smtp client's TLS fails to start and the delivery goes out in plaintext.
    mayAlsoBreak: ["mail.out-587", "mail.out-465"],
    apply: (b) => setMainCf(b, { smtp_tls_CAfile: "/etc/penguinmails/tls/lab-missing-ca.pem" }),
  },
  {
    name: "dkim-key",
    description: "the DKIM private key is another key than the one the DNS record publishes",
    breaks: ["mail.out-587", "mail.out-465"],
    mayAlsoBreak: [],
    apply: (b) => {
      const keys = b.files.filter((f) => /dkim/i.test(f.path) && f.secret && f.content.includes("PRIVATE KEY"));
      if (keys.length === 0) throw new Error("weakening dkim-key: the bundle has no DKIM private key");
      const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
      return withFileContents(b, new Map(keys.map((k) => [k.path, other])));
    },
  },
  {
    name: "tlsa-key",
    description: "the host serves a certificate from the same CA for the same names, but for a key no TLSA record names (a rollover that skipped the next-key slot)",
    breaks: ["mail.in", "dane.tlsa"],
    // The DANE sender defers every message to the host, also those the rollback check counts.
    mayAlsoBreak: ["apply.rollback"],
    needsCertificateWithOtherKey: true,
    apply: (b, context) => {
      const other = context.certificateWithOtherKey;
      if (!other) throw new Error("weakening tlsa-key: the lab issued no certificate with another key");
      if (bundleFile(b, hostLayout.tls.privateKey).content === other.privateKeyPem) throw new Error("weakening tlsa-key: the other certificate has the planned key");
      return withFileContents(b, new Map([
        [hostLayout.tls.fullchain, other.fullchainPem],
        [hostLayout.tls.privateKey, other.privateKeyPem],
      ]));
    },
  },
  {
    name: "port8080",
    description: "the host firewall opens port 8080 to the internet",
    breaks: ["ports.v4", "ports.v6"],
    mayAlsoBreak: [],
    apply: (b) => edit(b, hostLayout.nftablesRuleset, [[/tcp dport \{ ([0-9, ]+) \} accept/, "tcp dport { $1, 8080 } accept"]]),
  },
  {
    name: "ssh-open",
    description: "the host firewall opens SSH to the whole internet",
    breaks: ["ssh.admin-only", "ports.v4", "ports.v6"],
    // The internet's probe of port 22 now reaches sshd, which logs the connection closed before a handshake.
    mayAlsoBreak: ["logs.clean"],
    apply: (b) => edit(b, hostLayout.nftablesRuleset, [[/ip saddr @ssh_sources_v4 tcp dport 22 accept/, "tcp dport 22 accept"]]),
  },
  {
    name: "no-ban",
    description: "fail2ban tolerates 1000 failed logins before a ban",
    breaks: ["fail2ban.ban", "fail2ban.notice"],
    mayAlsoBreak: [],
    apply: (b) => {
      const jail = onlyFile(b, (p) => p.startsWith("/etc/fail2ban/jail.d/"), "fail2ban jail file");
      return edit(b, jail, [[/^maxretry = \d+$/gm, "maxretry = 1000"]]);
    },
  },
  {
    name: "no-ban-notice",
    description: "fail2ban bans but no longer mails the ban to the alert address",
    breaks: ["fail2ban.notice"],
    mayAlsoBreak: [],
    apply: (b) => {
      const jail = onlyFile(b, (p) => p.startsWith("/etc/fail2ban/jail.d/"), "fail2ban jail file");
      return edit(b, jail, [[/^(action = .*)\n\s+penguinmails-ban-mail\[.*\]$/m, "$1"]]);
    },
  },
  {
    name: "ban-scanners",
    description: "fail2ban's stock postfix jail in aggressive mode (20 lines), which bans TLS scanners",
    breaks: ["fail2ban.scanner-not-banned"],
    // The scanner may be banned while it still scans.
    mayAlsoBreak: ["tls.25", "tls.465", "tls.587", "tls.993", "tls.443", "ports.v4", "ports.v6"],
    apply: (b) => {
      const jail = onlyFile(b, (p) => p.startsWith("/etc/fail2ban/jail.d/"), "fail2ban jail file");
      const section = "\n[postfix]\nenabled = true\nfilter = postfix[mode=aggressive]\nlogpath = /var/log/mail.log\nbackend = polling\nport = 25,465,587\nmaxretry = 20\nfindtime = 600\nbantime = 3600\n";
      return withFileContents(b, new Map([[jail, `${bundleFile(b, jail).content}${section}`]]));
    },
  },
  {
    name: "headers",
    description: "nginx no longer sends Strict-Transport-Security",
    breaks: ["https.headers"],
    mayAlsoBreak: [],
    apply: (b) => {
      const site = onlyFile(b, (p) => p.startsWith("/etc/nginx/conf.d/"), "nginx site");
      return edit(b, site, [[/^\s*add_header Strict-Transport-Security .*$\n/m, ""]]);
    },
  },
  {
    name: "mta-sts-id",
    description: "the MTA-STS policy changes (max_age) without a new id in the _mta-sts record",
    breaks: ["mta-sts.policy"],
    mayAlsoBreak: [],
    apply: (b) => edit(b, onlyFile(b, (p) => p.endsWith("/.well-known/mta-sts.txt"), "MTA-STS policy"), [[/max_age: \d+/, "max_age: 86401"]]),
  },
  {
    name: "no-apply-checks",
    description: "the apply script no longer proves TLS on Postfix's ports nor reads Postfix's log after a reload",
    breaks: ["apply.rollback"],
    mayAlsoBreak: [],
    apply: (b) => withApplySettings(b, setApplySetting(setApplySetting(b.applySettings, "SERVICE_TLS_PROBES", "postfix", ""), "SERVICE_BAD_LOG", "postfix", "")),
  },
];

/** The weakenings named in a comma-separated list; an unknown name is an error naming the known ones. */
export function parseWeakenings(list: string): Weakening[] {
  const names = list.split(",").map((n) => n.trim()).filter(Boolean);
  const unknown = names.filter((n) => !weakenings.some((w) => w.name === n));
  if (unknown.length > 0) throw new Error(`unknown weakening ${unknown.join(", ")}; known: ${weakenings.map((w) => w.name).join(", ")}`);
  return [...new Set(names)].map((n) => weakenings.find((w) => w.name === n)!);
}

export function applyWeakenings(bundle: HostBundle, chosen: readonly Weakening[], context: WeakeningContext): HostBundle {
  return chosen.reduce((b, w) => w.apply(b, context), bundle);
}
