/** The listeners a tenant's mail host serves with TLS, and how each starts it. */

import { publicInboundPorts } from "../../baseline/network";

export type TlsMode = "starttls" | "tls";

export interface Service {
  readonly name: string;
  readonly port: number;
  readonly mode: TlsMode;
  /**
   * The name the listener answers to (SNI, and the name the certificate must carry): the mail
   * host's, or for HTTPS the MTA-STS policy host's; nginx refuses a handshake for any other name.
   */
  readonly serverName: "mail" | "mtaSts";
}

/** SMTP on 25 and submission on 587 upgrade with STARTTLS; the others speak TLS from the first byte. */
const starttlsServices = new Set(["smtp", "submission"]);

export const checkedServices: readonly Service[] = publicInboundPorts.map((rule) => ({
  name: rule.service,
  port: rule.port,
  mode: starttlsServices.has(rule.service) ? "starttls" : "tls",
  serverName: rule.service === "https" ? "mtaSts" : "mail",
}));

/** mta-sts.<domain> for the host mail.<domain> (tenant/names.ts); undefined for any other name. */
export function mtaStsHostOf(mailHost: string): string | undefined {
  return /^mail\.[^.]+\./i.test(mailHost) ? `mta-sts.${mailHost.slice("mail.".length)}` : undefined;
}
