import { httpSecurityHeaders } from "../../../baseline/http";
import { allowedTlsVersions, tls12CipherSuites } from "../../../baseline/tls";
import { hostLayout } from "../../hostLayout";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";

export const nginxMtaStsSitePath = "/etc/nginx/conf.d/penguinmails-mta-sts.conf";

/** The URL path RFC 8461 fixes for the policy; the file sits at the same path under the web root. */
export const mtaStsPolicyUrlPath = "/.well-known/mta-sts.txt";

/** A double-quoted nginx string: a header value may contain spaces, semicolons and single quotes. */
function nginxQuoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Protocols and ciphers in both servers: OpenSSL settles the protocol before nginx reads the SNI. */
function tlsSettings(): string[] {
  return [
    `\tssl_protocols ${allowedTlsVersions.join(" ")};`,
    `\tssl_ciphers ${tls12CipherSuites.join(":")};`,
    "\t# Every offered suite is strong: let the client pick the one its hardware does fastest.",
    "\tssl_prefer_server_ciphers off;",
  ];
}

/**
 * The HTTPS site serving only the MTA-STS policy of the tenant, on 443 and nothing else. Other
 * names, and clients that send no SNI, get no TLS handshake: the certificate is not shown to
 * scanners probing by address.
 */
export function renderNginxMtaStsSite(ctx: HostRenderContext): string {
  const headers = Object.entries(httpSecurityHeaders).map(
    ([name, value]) => `\tadd_header ${name} ${nginxQuoted(value)} always;`,
  );
  return [
    renderFileHeader(ctx, nginxMtaStsSitePath),
    "# Unknown names and clients without SNI: refuse the TLS handshake.",
    "server {",
    "\tlisten 443 ssl default_server;",
    "\tlisten [::]:443 ssl default_server;",
    "\tserver_name _;",
    "\tssl_reject_handshake on;",
    ...tlsSettings(),
    "\tserver_tokens off;",
    "\t# Our SNI but another Host header: close the connection without an answer.",
    "\treturn 444;",
    "}",
    "",
    "server {",
    "\tlisten 443 ssl;",
    "\tlisten [::]:443 ssl;",
    `\tserver_name ${ctx.mtaStsHostname};`,
    "",
    `\tssl_certificate ${hostLayout.tls.fullchain};`,
    `\tssl_certificate_key ${hostLayout.tls.privateKey};`,
    ...tlsSettings(),
    "\t# Session tickets whose key never rotates would undo forward secrecy.",
    "\tssl_session_tickets off;",
    "\t# No nginx version in headers or error pages.",
    "\tserver_tokens off;",
    "",
    "\t# Security headers on every response, errors included (`always`).",
    "\t# No location below adds a header, so all of them inherit these.",
    ...headers,
    "",
    `\troot ${hostLayout.mtaStsWebRoot};`,
    "",
    `\tlocation = ${mtaStsPolicyUrlPath} {`,
    "\t\t# RFC 8461 serves the policy as text/plain, whatever the extension map says.",
    "\t\ttypes { }",
    "\t\tdefault_type text/plain;",
    "\t\t# Read-only: GET (and with it HEAD) only.",
    "\t\tlimit_except GET {",
    "\t\t\tdeny all;",
    "\t\t}",
    "\t}",
    "",
    "\t# Nothing else is served.",
    "\tlocation / {",
    "\t\treturn 404;",
    "\t}",
    "}",
    "",
  ].join("\n");
}

export const nginxDebianDefaultSitePath = "/etc/nginx/sites-enabled/default";

/**
 * Replaces Debian's default site (a symlink listening on port 80): with this comment-only file in
 * its place, nothing listens on plain HTTP.
 */
export function renderNginxDefaultSiteReplacement(ctx: HostRenderContext): string {
  return [
    renderFileHeader(ctx, nginxDebianDefaultSitePath),
    "# Intentionally empty. Debian's default site listened on port 80; this host serves only the",
    `# MTA-STS policy, over HTTPS (${nginxMtaStsSitePath}), and nothing over plain HTTP.`,
    "",
  ].join("\n");
}
