/** ACME problem documents (RFC 8555 section 6.7) turned into errors an operator can act on. */

export interface AcmeProblem {
  readonly type?: string;
  readonly detail?: string;
  readonly status?: number;
  readonly identifier?: { readonly type?: string; readonly value?: string };
  readonly subproblems?: readonly AcmeProblem[];
}

const acmeErrorPrefix = "urn:ietf:params:acme:error:";

const explanations: Readonly<Record<string, string>> = {
  rateLimited: "the CA's rate limit was reached",
  caa: "a CAA record forbids this CA to issue for the name",
  dns: "the CA could not look the challenge record up in DNS",
  unauthorized: "the CA did not find the expected challenge TXT record",
  incorrectResponse: "the challenge record the CA found holds the wrong value",
  connection: "the CA could not reach the name's servers",
  rejectedIdentifier: "the CA's policy forbids issuing for this name",
  unsupportedIdentifier: "the CA does not issue for this kind of name",
  malformed: "the CA rejected the request as malformed",
  badCSR: "the CA rejected the certificate signing request",
  badPublicKey: "the CA does not accept this key",
  badSignatureAlgorithm: "the CA does not accept the signature algorithm",
  serverInternal: "the CA had an internal error",
  badNonce: "the CA rejected the request's anti-replay nonce",
  accountDoesNotExist: "the ACME account does not exist at this CA",
  userActionRequired: "the CA needs the account holder to act (usually to accept new terms of service)",
  externalAccountRequired: "the CA requires an external account binding",
  invalidContact: "the CA rejected the contact email",
  unsupportedContact: "the CA does not support this contact address",
  alreadyRevoked: "the certificate is already revoked",
  badRevocationReason: "the CA does not accept the revocation reason",
  orderNotReady: "the order was not ready to be finalized",
  compound: "the CA reported several problems",
  tls: "the CA hit a TLS error while validating",
};

export function problemShortType(problem: AcmeProblem): string | undefined {
  return problem.type?.startsWith(acmeErrorPrefix) ? problem.type.slice(acmeErrorPrefix.length) : problem.type;
}

/** One line: what it means, the problem type, and the CA's own words. */
export function explainProblem(problem: AcmeProblem): string {
  const short = problemShortType(problem);
  const meaning = (short !== undefined && explanations[short]) || "the CA reported a problem";
  const detail = problem.detail ? `: ${problem.detail.replace(/\s+/g, " ").trim()}` : "";
  const sub = (problem.subproblems ?? [])
    .map((p) => `${p.identifier?.value ?? "?"}: ${explainProblem(p)}`)
    .join("; ");
  return `${meaning} (${problem.type ?? "no problem type"})${detail}${sub ? ` [${sub}]` : ""}`;
}

/** An ACME server's answer that carried a problem document. */
export class AcmeProblemError extends Error {
  constructor(
    readonly problem: AcmeProblem,
    readonly retryAfterMs?: number,
  ) {
    const retry = retryAfterMs !== undefined ? `; the CA says to retry after ${new Date(Date.now() + retryAfterMs).toISOString()}` : "";
    super(explainProblem(problem) + retry);
    this.name = "AcmeProblemError";
  }

  get shortType(): string | undefined {
    return problemShortType(this.problem);
  }
}

/**
 * What the resource reports: the names the certificate is for, the step that failed and why.
 * Never carries a stack the operator has to read.
 */
export class CertificateError extends Error {
  constructor(
    readonly domains: readonly string[],
    readonly step: string,
    readonly reason: string,
    cause?: unknown,
  ) {
    super(`certificate for ${domains.join(", ")}: ${step} failed: ${reason}`, { cause });
    this.name = "CertificateError";
  }
}

export async function inStep<T>(domains: readonly string[], step: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof CertificateError) throw error;
    throw new CertificateError(domains, step, error instanceof Error ? error.message : String(error), error);
  }
}
