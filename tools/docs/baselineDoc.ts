/**
 * docs/baseline.md, generated from baseline/: every exported constant with its value, why it is
 * what it is (its doc comment) and where the number comes from (its `@source` tag). The numbers
 * live only in the code; this page is how a reader sees them all at once. `npm run docs:baseline`
 * writes it, `-- --check` (and a unit test) fails when it is stale or a constant has no source.
 */

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import * as ts from "typescript";

const projectDir = join(__dirname, "../..");
export const baselineDocPath = join(projectDir, "docs/baseline.md");

/** One row of the page: a constant, or one documented property of an object constant. */
export interface BaselineRow {
  readonly file: string;
  readonly name: string;
  readonly value: unknown;
  readonly why: string;
  readonly source: string | undefined;
}

export interface BaselineSection {
  readonly file: string;
  readonly summary: string;
  readonly rows: readonly BaselineRow[];
}

function baselineFiles(dir = join(projectDir, "baseline")): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? baselineFiles(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : []))
    .sort();
}

function docOf(node: ts.Node): { why: string; source: string | undefined } {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const doc = docs.at(-1);
  if (!doc) return { why: "", source: undefined };
  const text = (comment: ts.JSDoc["comment"] | ts.JSDocTag["comment"]): string => (typeof comment === "string" ? comment : (comment ?? []).map((part) => part.text).join("")).replace(/\s+/g, " ").trim();
  const source = doc.tags?.find((tag) => tag.tagName.text === "source");
  return { why: text(doc.comment), source: source ? text(source.comment) : undefined };
}

/** The file's own description: a doc comment that stands before everything else. */
function fileSummary(source: ts.SourceFile): string {
  const first = ts.getLeadingCommentRanges(source.text, 0)?.[0];
  if (!first || !source.text.startsWith("/**", first.pos)) return "";
  const firstStatement = source.statements[0];
  // A comment that documents the first declaration is that declaration's, not the file's.
  if (firstStatement && !ts.isImportDeclaration(firstStatement) && ts.getJSDocCommentsAndTags(firstStatement).some((d) => d.pos === first.pos)) return "";
  return source.text
    .slice(first.pos + 3, first.end - 2)
    .split("\n")
    .map((line) => line.replace(/^\s*\* ?/, ""))
    .join(" ")
    .replace(/\s+/g, " ")
    .trim();
}

function unwrap(expression: ts.Expression): ts.Expression {
  return ts.isAsExpression(expression) || ts.isSatisfiesExpression(expression) || ts.isParenthesizedExpression(expression) ? unwrap(expression.expression) : expression;
}

/** Every exported constant of every baseline module, in file order. */
export async function baselineSections(): Promise<BaselineSection[]> {
  const sections: BaselineSection[] = [];
  for (const file of baselineFiles()) {
    const text = readFileSync(file, "utf8");
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const rows: BaselineRow[] = [];
    const path = relative(projectDir, file);
    for (const statement of source.statements) {
      if (!ts.isVariableStatement(statement) || !statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
      for (const declaration of statement.declarationList.declarations) {
        if (!ts.isIdentifier(declaration.name)) continue;
        const name = declaration.name.text;
        const { why, source: from } = docOf(statement);
        const initializer = declaration.initializer && unwrap(declaration.initializer);
        const value = module[name];
        const object = initializer && ts.isObjectLiteralExpression(initializer) ? initializer : undefined;
        const documented = object?.properties.some((p) => ts.isPropertyAssignment(p) && ts.getJSDocCommentsAndTags(p).length > 0) ?? false;
        if (!object || !documented || typeof value !== "object" || value === null) {
          rows.push({ file: path, name, value, why, source: from });
          continue;
        }
        for (const property of object.properties) {
          if (!ts.isPropertyAssignment(property)) continue;
          const key = property.name.getText(source).replace(/^"|"$/g, "");
          const own = docOf(property);
          rows.push({ file: path, name: `${name}.${key}`, value: (value as Record<string, unknown>)[key], why: own.why || why, source: own.source ?? from });
        }
      }
    }
    sections.push({ file: path, summary: fileSummary(source), rows });
  }
  return sections;
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return `\`${value}\``;
  if (typeof value === "number" || typeof value === "boolean") return `\`${String(value)}\``;
  if (Array.isArray(value)) {
    return value
      .map((item) => {
        if (item && typeof item === "object" && "port" in item && "protocol" in item) return `\`${(item as { port: number }).port}/${(item as { protocol: string }).protocol}\` ${(item as { service?: string }).service ?? ""}`.trim();
        if (item && typeof item === "object") return Object.entries(item).map(([k, v]) => `${k} \`${String(v)}\``).join(" ");
        return `\`${String(item)}\``;
      })
      .join(", ");
  }
  if (value && typeof value === "object") {
    if ("port" in value && "protocol" in value) return `\`${(value as { port: number }).port}/${(value as { protocol: string }).protocol}\``;
    return Object.entries(value)
      .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.map((x) => `\`${String(x)}\``).join(", ") : typeof v === "object" && v !== null ? JSON.stringify(v) : `\`${String(v)}\``}`)
      .join("; ");
  }
  return `\`${String(value)}\``;
}

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

export async function renderBaselineDoc(): Promise<string> {
  const lines = [
    "# The security baseline",
    "",
    "<!-- Generated by `npm run docs:baseline` from baseline/; edit the constants and their doc comments there, not this file. -->",
    "",
    "What every tenant gets, number by number. Each value below is a constant in `baseline/`, which the renderers (the host's",
    "files), the components (the cloud resources), the policy pack and the tests all read; the reason is the constant's doc comment",
    "and the source its `@source` tag. Where the product spec and the public references disagree, the stricter one wins.",
    "",
  ];
  for (const section of await baselineSections()) {
    if (section.rows.length === 0) continue;
    lines.push(`## \`${section.file}\``, "");
    if (section.summary) lines.push(section.summary, "");
    lines.push("| setting | value | why | source |", "|---|---|---|---|");
    for (const row of section.rows) lines.push(`| \`${row.name}\` | ${cell(formatValue(row.value))} | ${cell(row.why)} | ${cell(row.source ?? "")} |`);
    lines.push("");
  }
  return lines.join("\n");
}

async function main(argv: readonly string[]): Promise<number> {
  const unsourced = (await baselineSections()).flatMap((s) => s.rows).filter((row) => !row.source);
  if (unsourced.length > 0) {
    console.error(`baseline constants without a @source tag: ${unsourced.map((r) => `${r.file} ${r.name}`).join(", ")}`);
    return 1;
  }
  const rendered = await renderBaselineDoc();
  if (argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(baselineDocPath, "utf8");
    } catch {
      current = "";
    }
    if (current === rendered) return 0;
    console.error("docs/baseline.md is out of date: run `npm run docs:baseline`");
    return 1;
  }
  writeFileSync(baselineDocPath, rendered);
  console.log(`wrote ${baselineDocPath}`);
  return 0;
}

if (require.main === module) main(process.argv.slice(2)).then((code) => process.exit(code));
