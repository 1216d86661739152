// docs/baseline.md is generated from baseline/: it must be current, and every number must say why
// it is what it is and where it comes from.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { baselineDocPath, baselineSections, renderBaselineDoc, type BaselineRow } from "../../../tools/docs/baselineDoc";

describe("docs/baseline.md", () => {
  let rows: BaselineRow[];
  let doc: string;

  beforeAll(async () => {
    rows = (await baselineSections()).flatMap((section) => section.rows);
    doc = await renderBaselineDoc();
  });

  it("covers every exported constant of baseline/, each with its reason and its source", () => {
    expect(rows.length).toBeGreaterThan(40);
    expect(rows.filter((row) => !row.source).map((row) => `${row.file} ${row.name}`)).toEqual([]);
    expect(rows.filter((row) => !row.why).map((row) => `${row.file} ${row.name}`)).toEqual([]);
  });

  it("shows each value as the code holds it", () => {
    expect(doc).toMatch(/^\| `minimumTlsVersion` \| `TLSv1\.2` \| .* \| RFC 8996 /m);
    expect(doc).toMatch(/^\| `fail2ban\.maxRetry` \| `5` \|/m);
    expect(doc).toMatch(/^\| `publicInboundPorts` \| `25\/tcp` smtp, `465\/tcp` submissions, /m);
  });

  it("is up to date (npm run docs:baseline)", () => {
    expect(readFileSync(baselineDocPath, "utf8")).toBe(doc);
  });
});
