// The layer picture of docs/architecture.md is the rule: every import of every module is checked
// against the table there, and the module graph must have no cycle.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import * as ts from "typescript";
import { describe, expect, it } from "vitest";

const projectDir = resolve(__dirname, "../../..");

interface Layer {
  readonly name: string;
  readonly path: string;
  readonly mayImport: readonly string[];
  readonly pulumi: boolean;
}

/** The rows of the layer table in docs/architecture.md. */
function layerTable(): Layer[] {
  const doc = readFileSync(join(projectDir, "docs/architecture.md"), "utf8");
  const start = doc.indexOf("<!-- layers:");
  const rows = doc.slice(start).split("\n").slice(1).filter((line) => line.startsWith("|")).slice(2);
  return rows.map((row) => {
    const [name, path, mayImport, pulumi] = row.split("|").slice(1, -1).map((cell) => cell.trim());
    return {
      name: name!,
      path: path!.replace(/`/g, ""),
      mayImport: mayImport ? mayImport.split(",").map((l) => l.trim()) : [],
      pulumi: pulumi === "yes",
    };
  });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sourceFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

/** Every module specifier a file imports, requires or re-exports, type-only imports included. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

function resolveRelative(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, join(base, "index.ts")]) {
    try {
      if (readFileSync(candidate) && candidate.endsWith(".ts")) return candidate;
    } catch {
      // not this candidate
    }
  }
  return base.endsWith(".json") ? base : undefined;
}

const layers = layerTable();

function layerOf(file: string): Layer | undefined {
  const path = relative(projectDir, file);
  return layers.filter((l) => path === l.path || (l.path.endsWith("/") && path.startsWith(l.path))).sort((a, b) => b.path.length - a.path.length)[0];
}

const files = [...layers.map((l) => l.path)]
  .filter((p) => p.endsWith("/"))
  .flatMap((p) => sourceFiles(join(projectDir, p)))
  .concat(join(projectDir, "index.ts"));
const uniqueFiles = [...new Set(files)];

describe("the layers of docs/architecture.md", () => {
  it("are read from the document, each naming only layers it lists", () => {
    expect(layers.map((l) => l.name)).toEqual(expect.arrayContaining(["baseline", "tenant", "components", "policies", "tools"]));
    const names = new Set(layers.map((l) => l.name));
    for (const layer of layers) for (const lower of layer.mayImport) expect(names.has(lower), `${layer.name} names ${lower}`).toBe(true);
  });

  it("hold for every import: nothing imports upward or sideways", () => {
    const violations: string[] = [];
    for (const file of uniqueFiles) {
      const from = layerOf(file);
      if (!from) continue;
      for (const specifier of importsOf(file)) {
        if (specifier.startsWith("@pulumi/")) {
          if (!from.pulumi) violations.push(`${relative(projectDir, file)} (${from.name}) imports ${specifier}, and its layer must not use the Pulumi SDK`);
          continue;
        }
        if (!specifier.startsWith(".")) continue;
        const target = resolveRelative(file, specifier);
        if (!target || target.endsWith(".json")) continue;
        const to = layerOf(target);
        if (!to) {
          violations.push(`${relative(projectDir, file)} imports ${relative(projectDir, target)}, which is in no layer`);
          continue;
        }
        if (to !== from && !from.mayImport.includes(to.name)) {
          violations.push(`${relative(projectDir, file)} (${from.name}) imports ${relative(projectDir, target)} (${to.name})`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it("form no import cycle between modules", () => {
    const graph = new Map<string, string[]>();
    for (const file of uniqueFiles) {
      graph.set(file, importsOf(file).filter((s) => s.startsWith(".")).map((s) => resolveRelative(file, s)).filter((t): t is string => t !== undefined && t.endsWith(".ts")));
    }
    // Tarjan's strongly connected components: any component of two or more modules is a cycle.
    let index = 0;
    const indices = new Map<string, number>();
    const lowlinks = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const visit = (node: string): void => {
      indices.set(node, index);
      lowlinks.set(node, index);
      index++;
      stack.push(node);
      onStack.add(node);
      for (const next of graph.get(node) ?? []) {
        if (!indices.has(next)) {
          visit(next);
          lowlinks.set(node, Math.min(lowlinks.get(node)!, lowlinks.get(next)!));
        } else if (onStack.has(next)) {
          lowlinks.set(node, Math.min(lowlinks.get(node)!, indices.get(next)!));
        }
      }
      if (lowlinks.get(node) === indices.get(node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(relative(projectDir, member));
        } while (member !== node);
        if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
      }
    };
    for (const node of graph.keys()) if (!indices.has(node)) visit(node);
    expect(cycles).toEqual([]);
  });
});
