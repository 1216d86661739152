/** DKIM key records (RFC 6376 3.6.1, RFC 8463 for Ed25519, RFC 8301 for key sizes). */

import { createPublicKey, type KeyObject } from "node:crypto";
import { dkimRsaMinimumBits } from "../keys";
import { isDnsLabel, maximumDomainNameLength } from "./domainName";
import { duplicateTagProblems, splitTagList } from "./tagList";

export type DkimKeyType = "rsa" | "ed25519";

export interface ParsedDkimRecord {
  /** Tag names exactly as written: DKIM tag names are case-sensitive (RFC 6376 3.2). */
  readonly tags: Readonly<Record<string, string>>;
  /** The k= value in lower case, `rsa` when absent. */
  readonly keyType: string;
  /** Decoded p= bytes; undefined when p= is missing, revoked or not base64. */
  readonly publicKeyBytes?: Uint8Array;
  /** RSA modulus length, when p= holds a readable RSA key. */
  readonly rsaModulusBits?: number;
  /** An empty p= withdraws the key (RFC 6376 3.6.1). */
  readonly revoked: boolean;
  readonly problems: string[];
}

const supportedKeyTypes: readonly DkimKeyType[] = ["rsa", "ed25519"];
const knownTagNames: readonly string[] = ["v", "h", "k", "n", "p", "s", "t"];
const tagNamePattern = /^[A-Za-z][A-Za-z0-9_]*$/;
const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;
/** SubjectPublicKeyInfo header for an Ed25519 key (RFC 8410); the 32 key bytes follow. */
const ed25519SpkiPrefix = Buffer.from("302a300506032b6570032100", "hex");
const ed25519KeyLength = 32;

function colonList(value: string): string[] {
  return value.split(":").map((item) => item.trim().toLowerCase());
}

function readRsaKey(bytes: Buffer): KeyObject | undefined {
  // RFC 6376 names RSAPublicKey, but signers publish SubjectPublicKeyInfo (openssl's default,
  // and what verifiers expect); both are read.
  for (const type of ["spki", "pkcs1"] as const) {
    try {
      const key = createPublicKey({ key: bytes, format: "der", type });
      if (key.asymmetricKeyType === "rsa") return key;
    } catch {
      continue;
    }
  }
  return undefined;
}

function readEd25519Key(bytes: Buffer): KeyObject | undefined {
  try {
    return createPublicKey({ key: Buffer.concat([ed25519SpkiPrefix, bytes]), format: "der", type: "spki" });
  } catch {
    return undefined;
  }
}

export function parseDkimRecord(text: string): ParsedDkimRecord {
  const split = splitTagList(text, "DKIM");
  const problems = [...split.problems, ...duplicateTagProblems(split.tags, "DKIM", (name) => name)];
  const tags: Record<string, string> = {};
  for (const tag of split.tags) {
    if (!tagNamePattern.test(tag.name)) problems.push(`DKIM: "${tag.name}" is not a valid tag name`);
    else if (!knownTagNames.includes(tag.name) && knownTagNames.includes(tag.name.toLowerCase())) {
      problems.push(`DKIM: tag "${tag.name}" is not "${tag.name.toLowerCase()}": DKIM tag names are case-sensitive (RFC 6376 3.2)`);
    }
    if (!(tag.name in tags)) tags[tag.name] = tag.value;
  }

  const version = tags.v;
  if (version !== undefined) {
    if (split.tags[0]?.name !== "v") problems.push("DKIM: v= must be the first tag (RFC 6376 3.6.1)");
    if (version !== "DKIM1") problems.push(`DKIM: v=${version} is not "DKIM1"`);
  }

  const keyType = (tags.k ?? "rsa").toLowerCase();
  if (!(supportedKeyTypes as readonly string[]).includes(keyType)) {
    problems.push(`DKIM: k=${tags.k} is not a supported key type (${supportedKeyTypes.join(", ")})`);
  }

  if (tags.h !== undefined) {
    const hashes = colonList(tags.h);
    if (!hashes.includes("sha256")) problems.push(`DKIM: h=${tags.h} does not allow sha256, so no valid signature can verify (RFC 8301)`);
    if (hashes.includes("sha1")) problems.push(`DKIM: h=${tags.h} allows sha1, which RFC 8301 forbids`);
  }
  if (tags.s !== undefined) {
    const services = colonList(tags.s);
    if (!services.includes("*") && !services.includes("email")) {
      problems.push(`DKIM: s=${tags.s} does not include "email" or "*", so the key cannot verify mail`);
    }
  }

  let publicKeyBytes: Uint8Array | undefined;
  let rsaModulusBits: number | undefined;
  let revoked = false;
  const p = tags.p;
  if (p === undefined) {
    problems.push("DKIM: p= (the public key) is missing");
  } else {
    const base64 = p.replace(/\s+/g, "");
    if (base64 === "") {
      revoked = true;
    } else if (!base64Pattern.test(base64) || base64.length % 4 === 1) {
      problems.push("DKIM: p= is not valid base64");
    } else {
      const bytes = Buffer.from(base64, "base64");
      publicKeyBytes = new Uint8Array(bytes);
      if (keyType === "rsa") {
        const key = readRsaKey(bytes);
        if (key) rsaModulusBits = key.asymmetricKeyDetails?.modulusLength;
        else problems.push("DKIM: p= is not an RSA public key (SubjectPublicKeyInfo or RSAPublicKey DER)");
      } else if (keyType === "ed25519") {
        if (bytes.length !== ed25519KeyLength) {
          problems.push(`DKIM: p= must be the raw ${ed25519KeyLength}-byte Ed25519 key (RFC 8463 4.2); found ${bytes.length} bytes`);
        } else if (!readEd25519Key(bytes)) {
          problems.push("DKIM: p= is not a valid Ed25519 public key");
        }
      }
    }
  }

  return { tags, keyType, publicKeyBytes, rsaModulusBits, revoked, problems };
}

/** The RSA modulus length of the record's key; undefined for other or unreadable keys. */
export function dkimRsaKeyBits(text: string): number | undefined {
  return parseDkimRecord(text).rsaModulusBits;
}

export interface DkimValidationOptions {
  readonly minimumRsaBits?: number;
}

/** Syntax plus the baseline's key size. A revoked key (empty p=) is valid: it is how a retired selector is withdrawn. */
export function validateDkimRecord(text: string, opts: DkimValidationOptions = {}): string[] {
  const minimumRsaBits = opts.minimumRsaBits ?? dkimRsaMinimumBits;
  const parsed = parseDkimRecord(text);
  const problems = [...parsed.problems];
  if (parsed.rsaModulusBits !== undefined && parsed.rsaModulusBits < minimumRsaBits) {
    problems.push(`DKIM: the RSA key has ${parsed.rsaModulusBits} bits; at least ${minimumRsaBits} are required`);
  }
  return problems;
}

export interface DkimRecordArgs {
  /** A PEM public key (a private key works too; its public half is used). */
  readonly publicKeyPem: string;
}

/**
 * `v=DKIM1; k=rsa; p=<SPKI DER base64>`, or `k=ed25519` with the raw 32-byte key (RFC 8463).
 * Any RSA size is represented faithfully; validateDkimRecord judges the size.
 */
export function buildDkimRecord(args: DkimRecordArgs): string {
  const key = createPublicKey(args.publicKeyPem);
  if (key.asymmetricKeyType === "rsa") {
    return `v=DKIM1; k=rsa; p=${key.export({ type: "spki", format: "der" }).toString("base64")}`;
  }
  if (key.asymmetricKeyType === "ed25519") {
    const spki = key.export({ type: "spki", format: "der" });
    return `v=DKIM1; k=ed25519; p=${spki.subarray(spki.length - ed25519KeyLength).toString("base64")}`;
  }
  throw new Error(`DKIM key: type "${key.asymmetricKeyType}" is not supported; use RSA or Ed25519`);
}

/** A DNS label or dot-separated labels (RFC 6376 3.1 selector syntax). */
export function isValidDkimSelector(selector: string): boolean {
  return selector.length > 0 && selector.length <= maximumDomainNameLength && selector.split(".").every(isDnsLabel);
}

const dkimRecordNamePattern = /^(.+)\._domainkey(?:\.|$)/i;

/** A name under `._domainkey.`, fully qualified or relative to the zone (`sel._domainkey`). */
export function isDkimRecordName(name: string): boolean {
  return dkimSelectorFromRecordName(name) !== undefined;
}

export function dkimSelectorFromRecordName(name: string): string | undefined {
  return dkimRecordNamePattern.exec(name.trim())?.[1];
}

export function dkimRecordName(selector: string, domain: string): string {
  return `${selector}._domainkey.${domain}`;
}
