import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildDkimRecord, validateDkimRecord } from "../../../../baseline/dns/dkim";
import {
  joinTxtStrings,
  parseTxtCharacterStrings,
  parseTxtContent,
  renderTxtContent,
  splitTxtValue,
  txtCharacterStringMaxLength,
  validateTxtContent,
} from "../../../../baseline/dns/txt";

describe("splitTxtValue", () => {
  it("keeps a short value in one string", () => {
    expect(splitTxtValue("v=spf1 -all")).toEqual(["v=spf1 -all"]);
    expect(splitTxtValue("")).toEqual([""]);
  });

  it("cuts a long value into strings of at most 255 characters that join back", () => {
    const value = "a".repeat(255) + "b".repeat(255) + "c";
    const strings = splitTxtValue(value);
    expect(strings.map((text) => text.length)).toEqual([255, 255, 1]);
    expect(joinTxtStrings(strings)).toBe(value);
  });

  it("rejects non-ASCII text, naming the character and its position", () => {
    expect(() => splitTxtValue("v=DMARC1; rua=mailto:dmarc@exämple.com")).toThrow(
      "TXT value must be printable ASCII: found U+00E4 at position 29",
    );
    expect(() => splitTxtValue("line\nbreak")).toThrow("found U+000A at position 4");
  });
});

describe("renderTxtContent and parseTxtContent", () => {
  it("quotes even a short value, as Cloudflare expects", () => {
    expect(renderTxtContent("v=spf1 ip4:192.0.2.10 ~all")).toBe('"v=spf1 ip4:192.0.2.10 ~all"');
  });

  it("escapes quotes and backslashes and reads them back", () => {
    const value = 'say "hi" \\ bye';
    const content = renderTxtContent(value);
    expect(content).toBe('"say \\"hi\\" \\\\ bye"');
    expect(parseTxtContent(content)).toBe(value);
  });

  it.each([2048, 4096])("round-trips a %i-bit DKIM record through quoted strings of at most 255 characters", (bits) => {
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
    const record = buildDkimRecord({ publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() });
    const content = renderTxtContent(record);

    const strings = parseTxtCharacterStrings(content);
    expect(strings.length).toBe(Math.ceil(record.length / txtCharacterStringMaxLength));
    expect(strings.length).toBeGreaterThan(1);
    expect(strings.every((text) => text.length <= txtCharacterStringMaxLength)).toBe(true);
    expect(content).toBe(strings.map((text) => `"${text}"`).join(" "));
    expect(validateTxtContent(content)).toEqual([]);

    const joined = parseTxtContent(content);
    expect(joined).toBe(record);
    expect(validateDkimRecord(joined)).toEqual([]);
  });

  it("reads content written by others: unquoted, extra whitespace, decimal escapes", () => {
    expect(parseTxtContent("v=spf1 mx -all")).toBe("v=spf1 mx -all");
    expect(parseTxtContent('  "v=DKIM1; k=rsa; "   "p=AB"  ')).toBe("v=DKIM1; k=rsa; p=AB");
    expect(parseTxtContent('"semi\\059colon"')).toBe("semi;colon");
    expect(parseTxtCharacterStrings('"a"\t"b"')).toEqual(["a", "b"]);
  });

  it.each([
    ['"open', "TXT content: a quoted string is not closed"],
    ['"a""b"', "TXT content: quoted strings must be separated by whitespace (position 3)"],
    ['"a" b', 'TXT content: expected a quoted string at position 4, found "b"'],
    ['"\\300"', "TXT content: escape \\300 is above 255"],
  ])("rejects malformed content %j", (content, message) => {
    expect(() => parseTxtContent(content)).toThrow(message);
  });
});

describe("validateTxtContent", () => {
  it("flags a string over 255 characters and non-ASCII text", () => {
    expect(validateTxtContent(`"${"x".repeat(256)}"`)).toEqual([
      "TXT content: string 1 is 256 characters; each string may hold at most 255",
    ]);
    expect(validateTxtContent('"ok" "caf\\233"')).toEqual([
      "TXT content: string 2 contains characters outside printable ASCII",
    ]);
    expect(validateTxtContent('"unclosed')).toEqual(["TXT content: a quoted string is not closed"]);
  });
});
