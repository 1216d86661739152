/** OpenSSL cipher strings (`HIGH:!aNULL:ECDHE-RSA-AES128-GCM-SHA256`), judged for weak cipher classes. */

/** OpenSSL keywords and aliases, each mapped to the weak class it selects. */
const cipherClassAliases: Readonly<Record<string, string>> = {
  ADH: "aNULL",
  AECDH: "aNULL",
  aNULL: "aNULL",
  eNULL: "eNULL",
  NULL: "eNULL",
  COMPLEMENTOFALL: "eNULL",
  EXP: "EXPORT",
  EXPORT: "EXPORT",
  EXPORT40: "EXPORT",
  EXPORT56: "EXPORT",
  LOW: "DES",
  DES: "DES",
  "3DES": "3DES",
  RC4: "RC4",
  MD5: "MD5",
  PSK: "PSK",
  aPSK: "PSK",
  kPSK: "PSK",
  SRP: "SRP",
  aSRP: "SRP",
  kSRP: "SRP",
};

/** The weak classes an explicit suite (OpenSSL `ADH-AES128-SHA`, IANA `TLS_RSA_WITH_NULL_SHA`) belongs to. */
export function suiteClasses(suite: string): string[] {
  const parts = suite.split("-");
  const classes: string[] = [];
  if (parts[0] === "ADH" || parts[0] === "AECDH" || suite.includes("anon")) classes.push("aNULL");
  if (parts.includes("NULL") || suite.includes("_NULL_") || suite.endsWith("_NULL")) classes.push("eNULL");
  if (parts[0]?.startsWith("EXP")) classes.push("EXPORT");
  if (/DES-CBC3|3DES/.test(suite)) classes.push("3DES");
  else if (/(^|[-_])DES([-_]|$)|DES-CBC/.test(suite)) classes.push("DES");
  if (suite.includes("RC4")) classes.push("RC4");
  if (/MD5$/.test(suite)) classes.push("MD5");
  if (suite.includes("PSK")) classes.push("PSK");
  if (suite.includes("SRP")) classes.push("SRP");
  return classes;
}

/**
 * The forbidden classes a cipher string may offer: an explicit suite of the class, the class named
 * without `!`, or a broad keyword (HIGH, ALL, DEFAULT, ...) without `!class` (or the class among
 * `excluded`, as Postfix's `*_exclude_ciphers` does).
 */
export function offeredForbiddenClasses(cipherString: string, forbidden: readonly string[], excluded: readonly string[] = []): string[] {
  const tokens = cipherString.split(/[\s:,]+/).filter((token) => token !== "");
  const negated = new Set([...excluded, ...tokens.filter((t) => t.startsWith("!")).map((t) => t.slice(1))].map((t) => cipherClassAliases[t] ?? t));
  const offered = new Set<string>();
  let broad = false;
  for (const token of tokens) {
    if (/^[!-]/.test(token) || token.startsWith("@")) continue;
    const bare = token.replace(/^\+/, "");
    for (const part of bare.split("+")) {
      const alias = cipherClassAliases[part];
      if (alias) offered.add(alias);
      else if (/[-_]/.test(part)) for (const c of suiteClasses(part)) offered.add(c);
      else broad = true;
    }
  }
  return forbidden.filter((c) => !negated.has(c) && (offered.has(c) || broad));
}
