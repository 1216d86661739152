/** The listeners a tenant's mail host serves with TLS, and how each starts it. */

import { publicInboundPorts } from "../../baseline/network";

export type TlsMode = "starttls" | "tls";

export interface Service {
  readonly name: string;
  readonly port: number;
  readonly mode: TlsMode;
}

/** SMTP on 25 and submission on 587 upgrade with STARTTLS; the others speak TLS from the first byte. */
const starttlsServices = new Set(["smtp", "submission"]);

export const checkedServices: readonly Service[] = publicInboundPorts.map((rule) => ({
  name: rule.service,
  port: rule.port,
  mode: starttlsServices.has(rule.service) ? "starttls" : "tls",
}));
