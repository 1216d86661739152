/**
 * The AcmeCertificate inputs as the provider receives them: validation with messages that name
 * the input and what is wrong, and the defaults.
 */

import { certificateKeyTypeNames, certificateKeyTypes, defaultCertificateKeyType, isCertificateKeyType, type CertificateKeyType } from "../../baseline/certificates";
import { certificateRenewBeforeDays } from "../../baseline/tls";
import { resolveDirectoryUrl } from "./directories";
import { tsigAlgorithms, type Dns01SolverConfig } from "./dns/solver";
import { isDnsName } from "./dns/txtRecord";

export interface PropagationConfig {
  /** Servers to poll ("ip", "ip:port", "[ipv6]:port"); default: the solver's (configured server or the zone's NS set). */
  readonly nameservers?: readonly string[];
  readonly timeoutSeconds: number;
}

export interface CertificateInputs {
  readonly directory: string;
  readonly directoryCaPem?: string;
  readonly accountKeyPem: string;
  /** The account's URL (AcmeAccount's accountUri): orders are placed by exactly this account. */
  readonly accountUri?: string;
  readonly contactEmail: string;
  readonly domains: readonly string[];
  readonly keyType: CertificateKeyType;
  /** The certificate's key (CertificateKeySet's current key), PEM. */
  readonly privateKeyPem: string;
  readonly renewBeforeDays: number;
  readonly solver: Dns01SolverConfig;
  readonly propagation: PropagationConfig;
  readonly revokeOnDelete: boolean;
}

export interface InputFailure {
  readonly property: string;
  readonly reason: string;
}

/** Cloudflare answers within seconds; other DNS hosts may take minutes to reach every server. */
export const defaultPropagationTimeoutSeconds = 120;
const maxPropagationTimeoutSeconds = 3_600;
const maxDomains = 100;

/** The engine's placeholder for a value not known yet (during preview). */
const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(value: unknown): boolean {
  return value === unknownValue;
}

/** Checks raw inputs and fills defaults; unknown values (preview) pass through unchecked. */
export function checkCertificateInputs(raw: Record<string, unknown>): { inputs: Record<string, unknown>; failures: InputFailure[] } {
  const failures: InputFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const inputs: Record<string, unknown> = { ...raw };

  const checkField = (property: string, check: (value: unknown) => string | undefined, fallback?: unknown): void => {
    let value = raw[property];
    if ((value === undefined || value === null) && fallback === undefined) {
      fail(property, "is required");
      return;
    }
    value ??= fallback;
    inputs[property] = value;
    if (isUnknown(value)) return;
    const problem = check(value);
    if (problem !== undefined) fail(property, problem);
  };

  checkField("directory", (v) => {
    const url = typeof v === "string" ? resolveDirectoryUrl(v) : undefined;
    if (url === undefined) return 'must be "letsencrypt", "letsencrypt-staging" or an https:// URL of an ACME directory';
    inputs.directory = url;
    return undefined;
  });
  if (raw.directoryCaPem !== undefined && raw.directoryCaPem !== null) checkField("directoryCaPem", checkCaPem);
  checkField("accountKeyPem", checkAccountKey);
  if (raw.accountUri !== undefined && raw.accountUri !== null) {
    checkField("accountUri", (v) => (typeof v === "string" && /^https:\/\/[\x21-\x7e]+$/.test(v) && URL.canParse(v) ? undefined : "must be the account's https:// URL"));
  }
  checkField("contactEmail", (v) =>
    typeof v === "string" && /^[^@\s<>,;:]+@[a-z0-9.-]+\.[a-z]{2,}$/i.test(v) ? undefined : "must be an email address such as hostmaster@example.com",
  );
  checkField("domains", checkDomains);
  checkField(
    "keyType",
    (v) => (isCertificateKeyType(v) ? undefined : `must be one of ${certificateKeyTypeNames.join(", ")}`),
    defaultCertificateKeyType,
  );
  checkField("privateKeyPem", (v) => checkCertificateKey(v, inputs.keyType));
  checkField(
    "renewBeforeDays",
    (v) => (typeof v === "number" && Number.isInteger(v) && v >= 1 ? undefined : "must be a whole number of days, at least 1"),
    certificateRenewBeforeDays,
  );
  checkField("solver", (v) => checkSolver(v, fail));
  checkField(
    "propagation",
    (v) => {
      const problem = checkPropagation(v);
      const { nameservers, timeoutSeconds } = v as { nameservers?: unknown; timeoutSeconds?: unknown };
      if (problem === undefined) {
        inputs.propagation = { ...(nameservers === undefined ? {} : { nameservers }), timeoutSeconds: timeoutSeconds ?? defaultPropagationTimeoutSeconds };
      }
      return problem;
    },
    {},
  );
  checkField("revokeOnDelete", (v) => (typeof v === "boolean" ? undefined : "must be true or false"), true);
  return { inputs, failures };
}

export function checkCaPem(value: unknown): string | undefined {
  const crypto: typeof import("node:crypto") = require("node:crypto");
  try {
    if (typeof value !== "string") throw new Error();
    new crypto.X509Certificate(value);
    return undefined;
  } catch {
    return "must be a PEM certificate";
  }
}

/** The key a PEM private key holds, or undefined when the value is none. */
function privateKeyOf(value: unknown): import("node:crypto").KeyObject | undefined {
  const crypto: typeof import("node:crypto") = require("node:crypto");
  try {
    return typeof value === "string" ? crypto.createPrivateKey(value) : undefined;
  } catch {
    return undefined;
  }
}

export function checkAccountKey(value: unknown): string | undefined {
  const key = privateKeyOf(value);
  if (!key) return "must be a PEM private key (the privateKeyPem of a tls.PrivateKey)";
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    const got = key.asymmetricKeyType === "ec" ? `ECDSA ${key.asymmetricKeyDetails?.namedCurve}` : `${key.asymmetricKeyType?.toUpperCase()}`;
    return `must be an ECDSA P-256 key (got ${got})`;
  }
  return undefined;
}

/** The certificate's key must be a key of the declared type: the policies judge keyType. */
function checkCertificateKey(value: unknown, keyType: unknown): string | undefined {
  const key = privateKeyOf(value);
  if (!key) return "must be a PEM private key (CertificateKeySet's currentPrivateKeyPem)";
  if (isUnknown(keyType) || !isCertificateKeyType(keyType)) return undefined;
  const spec = certificateKeyTypes[keyType];
  const details = key.asymmetricKeyDetails;
  const matches =
    spec.algorithm === "rsa"
      ? key.asymmetricKeyType === "rsa" && details?.modulusLength === spec.bits
      : key.asymmetricKeyType === "ec" && details?.namedCurve === (spec.curve === "P256" ? "prime256v1" : "secp384r1");
  const got = key.asymmetricKeyType === "rsa" ? `RSA ${details?.modulusLength}` : `${key.asymmetricKeyType} ${details?.namedCurve ?? ""}`.trim();
  return matches ? undefined : `is not a ${keyType} key (got ${got})`;
}

function checkDomains(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return "must list at least one name, such as mail.example.com";
  if (value.length > maxDomains) return `may list at most ${maxDomains} names (the CA's limit)`;
  for (const name of value) {
    if (isUnknown(name)) continue;
    if (typeof name !== "string" || !isDnsName(name) || name.includes("_") || !name.includes(".")) {
      return `${JSON.stringify(name)} is not a host name (wildcards and IP addresses are not supported)`;
    }
    if (name !== name.toLowerCase()) return `${name} must be written in lower case`;
  }
  if (new Set(value).size !== value.length) return "lists a name twice";
  return undefined;
}

function checkSolver(value: unknown, fail: (property: string, reason: string) => void): string | undefined {
  if (value === null || typeof value !== "object") return 'must be a DNS-01 solver: { kind: "cloudflare", ... } or { kind: "rfc2136", ... }';
  const solver = value as Record<string, unknown>;
  const field = (name: string, ok: (v: unknown) => boolean, what: string, optional = false) => {
    const v = solver[name];
    if (isUnknown(v) || (optional && v === undefined)) return;
    if (!ok(v)) fail(`solver.${name}`, what);
  };
  const text = (v: unknown) => typeof v === "string" && v.length > 0;
  switch (solver.kind) {
    case "cloudflare":
      field("zoneId", (v) => typeof v === "string" && /^[0-9a-f]{32}$/.test(v), "must be the zone's 32-character hex id");
      // The token goes into an HTTP header: printable ASCII only, no spaces or line breaks.
      field("apiToken", (v) => typeof v === "string" && /^[\x21-\x7e]{20,}$/.test(v), "must be a Cloudflare API token");
      field("apiBaseUrl", (v) => typeof v === "string" && isSafeBaseUrl(v), "must be an https:// URL (http:// only on loopback)", true);
      return undefined;
    case "rfc2136":
      field("server", (v) => typeof v === "string" && isIpAddress(v), "must be the IP address of the primary server");
      field("port", (v) => typeof v === "number" && Number.isInteger(v) && v > 0 && v < 65536, "must be a port number", true);
      field("zone", (v) => typeof v === "string" && isDnsName(v.replace(/\.$/, "")), "must be a zone name");
      field("tsigKeyName", (v) => typeof v === "string" && isDnsName(v.replace(/\.$/, "")), "must be the TSIG key's name");
      field("tsigAlgorithm", (v) => (tsigAlgorithms as readonly unknown[]).includes(v), `must be one of ${tsigAlgorithms.join(", ")}`, true);
      field("tsigSecret", (v) => text(v) && /^[A-Za-z0-9+/]+={0,2}$/.test(v as string), "must be the base64 TSIG secret");
      return undefined;
    default:
      return 'kind must be "cloudflare" or "rfc2136"';
  }
}

function checkPropagation(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return "must be { nameservers?, timeoutSeconds? }";
  const { nameservers, timeoutSeconds } = value as Record<string, unknown>;
  if (timeoutSeconds !== undefined && !isUnknown(timeoutSeconds)) {
    if (typeof timeoutSeconds !== "number" || !(timeoutSeconds >= 0 && timeoutSeconds <= maxPropagationTimeoutSeconds)) {
      return `timeoutSeconds must be between 0 and ${maxPropagationTimeoutSeconds}`;
    }
  }
  if (nameservers !== undefined && !isUnknown(nameservers)) {
    if (!Array.isArray(nameservers) || nameservers.length === 0) return "nameservers must list at least one server";
    const bad = nameservers.find((s) => !isUnknown(s) && !(typeof s === "string" && isServerAddress(s)));
    if (bad !== undefined) return `nameservers: ${JSON.stringify(bad)} is not "ip", "ip:port" or "[ipv6]:port"`;
  }
  return undefined;
}

function isIpAddress(value: string): boolean {
  const net: typeof import("node:net") = require("node:net");
  return net.isIP(value) !== 0;
}

function isServerAddress(value: string): boolean {
  if (isIpAddress(value)) return true;
  const match = /^(?:\[([0-9a-f:.]+)\]|([0-9.]+)):(\d{1,5})$/i.exec(value);
  return match !== null && isIpAddress(match[1] ?? match[2]!) && Number(match[3]) > 0 && Number(match[3]) < 65536;
}

function isSafeBaseUrl(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.protocol === "https:") return true;
    return url.protocol === "http:" && ["127.0.0.1", "[::1]", "localhost"].includes(url.hostname);
  } catch {
    return false;
  }
}

/** The inputs after a successful check; `check` guarantees the shape. */
export function asCertificateInputs(checked: Record<string, unknown>): CertificateInputs {
  return checked as unknown as CertificateInputs;
}
