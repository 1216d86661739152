import { parsePolicy, resolvePolicy, validateMx } from "mailauth/lib/mta-sts";
import { describe, expect, it } from "vitest";
import {
  buildMtaStsRecord,
  isMtaStsRecord,
  isValidMtaStsMxPattern,
  mtaStsDefaultMaxAgeSeconds,
  mtaStsMaxAgeLimitSeconds,
  mtaStsPolicyId,
  parseMtaStsPolicy,
  parseMtaStsRecord,
  renderMtaStsPolicy,
  validateMtaStsPolicy,
  mtaStsRecordName,
  validateMtaStsRecord,
} from "../../../../baseline/dns/mtaSts";
import { asMailauthResolver } from "./mailauthHarness";
import { createMemoryResolver } from "../../../support/baseline/dns/memoryResolver";

const rfc8461Policy = ["version: STSv1", "mode: enforce", "mx: mail.example.com", "mx: *.example.net", "mx: backupmx.example.com", "max_age: 604800", ""].join("\n");

describe("renderMtaStsPolicy", () => {
  it("writes every field on its own CRLF-terminated line", () => {
    expect(renderMtaStsPolicy({ mode: "testing", mx: ["mail.tenant-one.example"], maxAgeSeconds: mtaStsDefaultMaxAgeSeconds })).toBe(
      "version: STSv1\r\nmode: testing\r\nmx: mail.tenant-one.example\r\nmax_age: 604800\r\n",
    );
  });

  it("writes several mx patterns and round-trips through the parser", () => {
    const policy = renderMtaStsPolicy({ mode: "enforce", mx: ["mail.tenant-one.example", "*.backup.example"], maxAgeSeconds: mtaStsMaxAgeLimitSeconds });
    const parsed = parseMtaStsPolicy(policy);
    expect(parsed).toMatchObject({ version: "STSv1", mode: "enforce", maxAgeSeconds: 31557600, mx: ["mail.tenant-one.example", "*.backup.example"] });
    expect(validateMtaStsPolicy(policy)).toEqual([]);
  });

  it("refuses a policy that would not validate", () => {
    expect(() => renderMtaStsPolicy({ mode: "enforce", mx: ["mail.tenant-one.example"], maxAgeSeconds: 31557601 })).toThrow(
      "MTA-STS policy: max_age 31557601 exceeds the limit of 31557600 seconds",
    );
    expect(() => renderMtaStsPolicy({ mode: "enforce", mx: [], maxAgeSeconds: 86400 })).toThrow(
      'MTA-STS policy: at least one "mx" pattern is required unless the mode is none',
    );
  });

  it("keeps the default max_age within the limit", () => {
    expect(mtaStsDefaultMaxAgeSeconds).toBe(7 * 24 * 60 * 60);
    expect(mtaStsDefaultMaxAgeSeconds).toBeLessThanOrEqual(mtaStsMaxAgeLimitSeconds);
  });
});

describe("mtaStsPolicyId", () => {
  const base = { mode: "testing" as const, mx: ["mail.tenant-one.example"], maxAgeSeconds: 604800 };
  const policy = renderMtaStsPolicy(base);

  it("is 1 to 32 letters or digits and the same for the same policy", () => {
    const id = mtaStsPolicyId(policy);
    expect(id).toMatch(/^[A-Za-z0-9]{1,32}$/);
    expect(mtaStsPolicyId(renderMtaStsPolicy({ ...base }))).toBe(id);
    expect(validateMtaStsRecord(buildMtaStsRecord(id))).toEqual([]);
  });

  it("changes whenever the policy changes", () => {
    const variants = [
      renderMtaStsPolicy({ ...base, mode: "enforce" }),
      renderMtaStsPolicy({ ...base, maxAgeSeconds: 1209600 }),
      renderMtaStsPolicy({ ...base, mx: ["mail.tenant-one.example", "backup.tenant-one.example"] }),
    ];
    const ids = new Set([policy, ...variants].map(mtaStsPolicyId));
    expect(ids.size).toBe(4);
  });
});

describe("MTA-STS TXT record", () => {
  it("builds v=STSv1 with the id", () => {
    expect(buildMtaStsRecord("20160831085700Z")).toBe("v=STSv1; id=20160831085700Z");
  });

  it.each(["", "a".repeat(33), "2016-08-31"])("refuses the id %j", (id) => {
    expect(() => buildMtaStsRecord(id)).toThrow(`MTA-STS id "${id}" must be 1 to 32 letters or digits`);
  });

  it.each(["v=STSv1; id=20160831085700Z;", "v=STSv1;id=abc123", "v=STSv1; id=abc123; ext_1=value"])("accepts %s", (record) => {
    expect(validateMtaStsRecord(record)).toEqual([]);
  });

  it("reads the id and extension fields", () => {
    expect(parseMtaStsRecord("v=STSv1; id=20160831085700Z; x-note=hello")).toEqual({
      version: "STSv1",
      id: "20160831085700Z",
      extensions: { "x-note": "hello" },
      problems: [],
    });
  });

  it.each([
    ["no id", "v=STSv1;", "MTA-STS record: id= is required"],
    ["an id over 32 characters", `v=STSv1; id=${"a".repeat(33)}`, `MTA-STS record: id=${"a".repeat(33)} must be 1 to 32 letters or digits`],
    ["an id with punctuation", "v=STSv1; id=2016-08-31", "MTA-STS record: id=2016-08-31 must be 1 to 32 letters or digits"],
    ["another version", "v=STSv2; id=1", 'MTA-STS record: v=STSv2 must be "STSv1" (case-sensitive)'],
    ["a lower-case version", "v=stsv1; id=1", 'MTA-STS record: v=stsv1 must be "STSv1" (case-sensitive)'],
    ["v= not first", "id=1; v=STSv1", "MTA-STS record: v= must be the first field"],
    ["spaces around =", "v=STSv1; id = 1", 'MTA-STS record: no spaces are allowed around "=" in "id"'],
    ["a repeated id", "v=STSv1; id=1; id=2", 'MTA-STS record: tag "id" appears more than once'],
  ])("rejects %s", (_label, record, problem) => {
    expect(validateMtaStsRecord(record)).toContain(problem);
  });

  it.each([
    ["v=STSv1; id=1", true],
    ["v=STSv1", true],
    ["v=STSv10; id=1", false],
    ["v=TLSRPTv1; rua=mailto:a@example.com", false],
  ])("%j is an MTA-STS record: %s", (txt, expected) => {
    expect(isMtaStsRecord(txt)).toBe(expected);
  });
});

describe("MTA-STS policy", () => {
  it("accepts RFC 8461's example with LF line endings, and with CRLF", () => {
    expect(validateMtaStsPolicy(rfc8461Policy)).toEqual([]);
    expect(validateMtaStsPolicy(rfc8461Policy.replace(/\n/g, "\r\n"))).toEqual([]);
    expect(parseMtaStsPolicy(rfc8461Policy).mx).toEqual(["mail.example.com", "*.example.net", "backupmx.example.com"]);
  });

  it("accepts fields in any order, extra spaces, unknown fields and a missing final newline", () => {
    const policy = "mode:enforce\r\nmax_age:   86400\r\nversion: STSv1\r\nmx: mail.example.com  \r\nx_vendor: note";
    expect(validateMtaStsPolicy(policy)).toEqual([]);
    expect(parseMtaStsPolicy(policy).extensions).toEqual({ x_vendor: "note" });
  });

  it("accepts mode none without mx, the policy that withdraws MTA-STS", () => {
    expect(validateMtaStsPolicy("version: STSv1\nmode: none\nmax_age: 86400\n")).toEqual([]);
  });

  it.each([
    ["max_age over the limit", "version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 31557601\n", "MTA-STS policy: max_age 31557601 exceeds the limit of 31557600 seconds"],
    ["max_age not a number", "version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 1w\n", 'MTA-STS policy: max_age "1w" is not a non-negative whole number of seconds'],
    ["no max_age", "version: STSv1\nmode: enforce\nmx: mail.example.com\n", "MTA-STS policy: max_age is required"],
    ["no version", "mode: enforce\nmx: mail.example.com\nmax_age: 86400\n", 'MTA-STS policy: "version: STSv1" is required'],
    ["another version", "version: STSv2\nmode: enforce\nmx: mail.example.com\nmax_age: 86400\n", 'MTA-STS policy: version "STSv2" must be "STSv1"'],
    ["an unknown mode", "version: STSv1\nmode: report\nmx: mail.example.com\nmax_age: 86400\n", 'MTA-STS policy: mode "report" must be testing, enforce or none'],
    ["no mode", "version: STSv1\nmx: mail.example.com\nmax_age: 86400\n", "MTA-STS policy: mode is required (testing, enforce or none)"],
    ["enforce without mx", "version: STSv1\nmode: enforce\nmax_age: 86400\n", 'MTA-STS policy: at least one "mx" pattern is required unless the mode is none'],
    ["an invalid mx", "version: STSv1\nmode: enforce\nmx: mail..example.com\nmax_age: 86400\n", 'MTA-STS policy: mx "mail..example.com" is not a host name or "*." pattern'],
    ["a repeated mode", "version: STSv1\nmode: testing\nmode: enforce\nmx: mail.example.com\nmax_age: 86400\n", 'MTA-STS policy line 3: "mode" appears more than once'],
    ["a line that is no field", "version: STSv1\nmode enforce\nmx: mail.example.com\nmax_age: 86400\n", 'MTA-STS policy line 2: "mode enforce" is not "name: value"'],
  ])("rejects %s", (_label, policy, problem) => {
    expect(validateMtaStsPolicy(policy)).toContain(problem);
  });

  it.each([
    ["mail.example.com", true],
    ["*.example.net", true],
    ["mail.example.com.", true],
    ["*.*.example.net", false],
    ["mail*.example.net", false],
    ["*", false],
    ["localhost", false],
    ["192.0.2.10", false],
  ])("mx pattern %j is valid: %s", (pattern, expected) => {
    expect(isValidMtaStsMxPattern(pattern)).toBe(expected);
  });
});

describe("what mailauth, as a sending MTA, reads from our MTA-STS publication", () => {
  const policy = renderMtaStsPolicy({ mode: "enforce", mx: ["mail.tenant-one.example", "*.backup.example"], maxAgeSeconds: 1209600 });

  it("parses our policy to the same fields and matches MX hosts by it", () => {
    const parsed = parsePolicy(policy);
    expect(parsed).toMatchObject({ version: "STSv1", mode: "enforce", maxAge: 1209600, mx: ["mail.tenant-one.example", "*.backup.example"] });
    expect(validateMx("mail.tenant-one.example", parsed).valid).toBe(true);
    expect(validateMx("mx1.backup.example", parsed).valid).toBe(true);
    expect(validateMx("mail.attacker.example", parsed).valid).toBe(false);
  });

  it("refuses what our validator refuses", () => {
    const tooLong = policy.replace("max_age: 1209600", "max_age: 31557601");
    expect(validateMtaStsPolicy(tooLong)).not.toEqual([]);
    expect(() => parsePolicy(tooLong)).toThrow("Invalid max_age field");
  });

  it("finds the policy id in our TXT record", async () => {
    const id = mtaStsPolicyId(policy);
    const resolver = createMemoryResolver({ [mtaStsRecordName("tenant-one.example")]: { TXT: [buildMtaStsRecord(id)] } });
    expect(await resolvePolicy("tenant-one.example", { resolver: asMailauthResolver(resolver) })).toBe(id);
  });
});
