/** One ACME order with DNS-01 validation, from account to certificate. */

import type * as Acme from "acme-client";
import { openAcmeConnection, type AcmeConnection } from "./acmeConnection";
import { describeIssuedCertificate, type IssuedCertificate } from "./certificateInfo";
import { waitForTxtRecord } from "./dns/propagation";
import type { Dns01Solver } from "./dns/solver";
import { challengeRecordName } from "./dns/txtRecord";
import { CertificateError, explainProblem, inStep, type AcmeProblem } from "./problems";

export interface IssueRequest {
  readonly directoryUrl: string;
  readonly directoryCaPem?: string;
  readonly accountKeyPem: string;
  /** The account the tenant's CAA record names (RFC 8657 accounturi); the order fails early under any other. */
  readonly accountUri?: string;
  readonly contactEmail: string;
  readonly domains: readonly string[];
  /** The certificate's key: renewals reuse it, so the TLSA record that names it stays valid. */
  readonly privateKeyPem: string;
  /** Servers that must show each TXT record before validation; default: the solver's. */
  readonly nameservers?: readonly string[];
  readonly propagationTimeoutSeconds: number;
}

/** How long the CA may take to validate and to sign; Let's Encrypt usually needs seconds. */
const validationTimeoutMs = 120_000;
const pollFirstDelayMs = 100;
const pollMaxDelayMs = 2_000;

interface PendingChallenge {
  readonly challenge: Acme.Authorization["challenges"][number];
  readonly recordName: string;
  readonly recordValue: string;
}

/**
 * Issues a certificate. Every TXT record published is removed again, whether validation fails or
 * not; on success the removal runs while the CA signs, and issuance waits for it.
 */
export async function issueCertificate(request: IssueRequest, solver: Dns01Solver): Promise<IssuedCertificate> {
  const published: PendingChallenge[] = [];
  let removal: Promise<string[]> | undefined;
  const removePublished = () => (removal ??= removeRecords(solver, published));
  const connection = openAcmeConnection(request);
  let outcome: { issued: IssuedCertificate } | { failure: unknown };
  try {
    outcome = { issued: await runOrder(request, connection, solver, published, removePublished) };
  } catch (failure) {
    outcome = { failure };
  } finally {
    connection.close();
  }

  const leftovers = await removePublished();
  const note = `could not remove the TXT record ${leftovers.join(", ")}: remove it by hand`;
  if ("failure" in outcome) {
    if (leftovers.length > 0 && outcome.failure instanceof Error) outcome.failure.message += `; ${note}`;
    throw outcome.failure;
  }
  if (leftovers.length > 0) throw new CertificateError(request.domains, "removing the challenge TXT records", note);
  return outcome.issued;
}

async function runOrder(
  request: IssueRequest,
  { client, acme }: AcmeConnection,
  solver: Dns01Solver,
  published: PendingChallenge[],
  removePublished: () => void,
): Promise<IssuedCertificate> {
  const domains = request.domains;
  const step = <T>(name: string, action: () => Promise<T>) => inStep(domains, name, action);

  await step("registering the ACME account", async () => {
    await client.createAccount({ termsOfServiceAgreed: true, contact: [`mailto:${request.contactEmail}`] });
    const used = client.getAccountUrl();
    if (request.accountUri !== undefined && used !== request.accountUri) {
      throw new Error(`the account key belongs to ${used}, not to ${request.accountUri}, the account the CAA record names`);
    }
  });
  const order = await step("placing the order", () => client.createOrder({ identifiers: domains.map((value) => ({ type: "dns", value })) }));
  const authorizations = await step("reading the order's authorizations", () => client.getAuthorizations(order));
  const challenges = await step("choosing the DNS-01 challenges", () => dns01Challenges(client, authorizations));

  const results = await Promise.allSettled(
    challenges.map(async (c) => {
      await step(`publishing the TXT record ${c.recordName}`, () => solver.publishTxt(c.recordName, c.recordValue));
      published.push(c);
    }),
  );
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (rejected) throw rejected.reason;
  await Promise.all(
    challenges.map((c) =>
      step(`waiting for ${c.recordName} at the authoritative servers`, async () =>
        waitForTxtRecord({
          name: c.recordName,
          value: c.recordValue,
          nameservers: request.nameservers ?? (await solver.defaultNameservers(c.recordName)),
          timeoutMs: request.propagationTimeoutSeconds * 1000,
        }),
      ),
    ),
  );
  await step("asking the CA to validate", () => Promise.all(challenges.map((c) => answerChallenge(client, order, c))));
  await step("validation", () => pollAuthorizations(client, order));
  removePublished();

  const [, csr] = await acme.crypto.createCsr({ commonName: domains[0], altNames: [...domains] }, request.privateKeyPem);
  await step("finalizing the order", () => finalizeOrder(client, order, csr));
  const issued = await step("waiting for the certificate", () => pollOrder(client, order));
  const fullChain = await step("downloading the certificate", () => client.getCertificate(issued));
  return step("checking the certificate", async () => describeIssuedCertificate(fullChain, request.privateKeyPem, domains));
}

/** The dns-01 challenge of every authorization the CA still wants proven. */
function dns01Challenges(client: Acme.Client, authorizations: Acme.Authorization[]): Promise<PendingChallenge[]> {
  const pending = authorizations.filter((authz) => authz.status !== "valid");
  return Promise.all(
    pending.map(async (authz) => {
      const domain = authz.identifier.value;
      const challenge = authz.challenges.find((c) => c.type === "dns-01");
      if (challenge === undefined) throw new Error(`the CA offers no dns-01 challenge for ${domain}`);
      return { challenge, recordName: challengeRecordName(domain), recordValue: await client.getChallengeKeyAuthorization(challenge) };
    }),
  );
}

/** Removes every record; returns the ones that could not be removed, with why. */
async function removeRecords(solver: Dns01Solver, records: readonly PendingChallenge[]): Promise<string[]> {
  const results = await Promise.allSettled(records.map((c) => solver.removeTxt(c.recordName, c.recordValue)));
  return results.flatMap((r, i) => (r.status === "rejected" ? [`${records[i]!.recordName} (${messageOf(r.reason)})`] : []));
}

/*
 * A POST retried after a lost response may find its first attempt went through: a challenge no
 * longer pending, an order already processing. Those count as answered.
 */

async function answerChallenge(client: Acme.Client, order: Acme.Order, c: PendingChallenge): Promise<void> {
  try {
    await client.completeChallenge(c.challenge);
  } catch (error) {
    const current = (await client.getAuthorizations(order).catch(() => [])).flatMap((a) => a.challenges).find((x) => x.url === c.challenge.url);
    if (current === undefined || current.status === "pending") throw error;
  }
}

async function finalizeOrder(client: Acme.Client, order: Acme.Order, csr: Buffer): Promise<void> {
  try {
    await client.finalizeOrder(order, csr);
  } catch (error) {
    const current = await client.getOrder(order).catch(() => undefined);
    if (current?.status !== "processing" && current?.status !== "valid") throw error;
  }
}

/** Polls until every authorization is valid; names each domain whose validation failed and why. */
function pollAuthorizations(client: Acme.Client, order: Acme.Order): Promise<true> {
  return poll(async () => {
    const authorizations = await client.getAuthorizations(order);
    const failed = authorizations.filter((a) => a.status !== "valid" && a.status !== "pending");
    if (failed.length > 0) {
      const reasons = failed.map((a) => {
        const problem = a.challenges.find((c) => c.type === "dns-01" && c.status === "invalid")?.error as AcmeProblem | undefined;
        return `${a.identifier.value}: ${problem ? explainProblem(problem) : `the authorization is ${a.status}`}`;
      });
      throw new Error(reasons.join("; "));
    }
    return authorizations.every((a) => a.status === "valid") ? true : undefined;
  }, "the CA did not finish validating");
}

function pollOrder(client: Acme.Client, order: Acme.Order): Promise<Acme.Order> {
  return poll(async () => {
    const current = await client.getOrder(order);
    if (current.status === "valid") return current;
    if (current.status === "invalid") {
      const problem = (current as { error?: AcmeProblem }).error;
      throw new Error(problem ? explainProblem(problem) : "the CA marked the order invalid");
    }
    return undefined;
  }, "the CA did not sign the certificate");
}

/** Calls `check` with growing pauses until it returns a value, within the validation bound. */
async function poll<T>(check: () => Promise<T | undefined>, notDone: string): Promise<T> {
  const deadline = Date.now() + validationTimeoutMs;
  for (let delay = pollFirstDelayMs; ; delay = Math.min(pollMaxDelayMs, delay * 2)) {
    const result = await check();
    if (result !== undefined) return result;
    if (Date.now() + delay > deadline) throw new Error(`${notDone} within ${validationTimeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
