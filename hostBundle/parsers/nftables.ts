/** nftables rulesets: chains and the ports their rules accept. */

export interface NftablesChain {
  readonly name: string;
  /** The hook of a base chain (`input`, `output`, `forward`), undefined for a regular chain. */
  readonly hook?: string;
  /** The chain's lines without comments, trimmed, with their 1-based line numbers. */
  readonly lines: readonly { readonly line: number; readonly text: string }[];
}

/** Every chain of a ruleset file with its body. */
export function nftablesChains(text: string): NftablesChain[] {
  const chains: NftablesChain[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*chain\s+(\S+)\s*\{/.exec(lines[i]!.replace(/#.*$/, ""));
    if (!open) continue;
    const body: Array<{ line: number; text: string }> = [];
    let depth = 1;
    let j = i + 1;
    for (; j < lines.length && depth > 0; j++) {
      const line = lines[j]!.replace(/#.*$/, "");
      depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
      if (depth > 0) body.push({ line: j + 1, text: line.trim() });
    }
    const hook = body.map((l) => /\bhook\s+(\S+)/.exec(l.text)?.[1]).find((h) => h !== undefined);
    chains.push({ name: open[1]!, ...(hook ? { hook } : {}), lines: body });
    i = j - 1;
  }
  return chains;
}

const maximumPort = 65535;

/** The ports of a `dport` operand (`25`, `{ 25, 465 }`, `1000-2000`), and the items that are no port. */
export function nftablesPorts(spec: string): { ports: number[]; invalid: string[] } {
  const items = spec.replace(/^\{|\}$/g, "").split(/[\s,]+/).filter((item) => item !== "");
  const ports: number[] = [];
  const invalid: string[] = [];
  for (const item of items) {
    const range = /^(\d+)-(\d+)$/.exec(item);
    if (/^\d+$/.test(item) && Number(item) <= maximumPort) ports.push(Number(item));
    else if (range && Number(range[1]) <= Number(range[2]) && Number(range[2]) <= maximumPort) {
      for (let p = Number(range[1]); p <= Number(range[2]); p++) ports.push(p);
    } else invalid.push(item);
  }
  return { ports, invalid };
}

/** The elements of every named set of a ruleset (`set NAME { ... elements = { a, b } }`), by name. */
export function nftablesSets(text: string): Map<string, string[]> {
  const sets = new Map<string, string[]>();
  const uncommented = text.split("\n").map((line) => line.replace(/#.*$/, "")).join("\n");
  for (const match of uncommented.matchAll(/\bset\s+(\S+)\s*\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/g)) {
    const elements = /\belements\s*=\s*\{([^}]*)\}/.exec(match[2]!)?.[1] ?? "";
    sets.set(match[1]!, elements.split(/[\s,]+/).filter((e) => e !== ""));
  }
  return sets;
}

/** The sources a rule's `ip saddr` / `ip6 saddr` admits: a set's elements, an inline set or one block. */
export function nftablesSourceAddresses(ruleText: string, sets: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const matches = [...ruleText.matchAll(/\b(?:ip|ip6)\s+saddr\s+(@\S+|\{[^}]*\}|\S+)/g)];
  if (matches.length === 0) return undefined;
  return matches.flatMap((m) => {
    const operand = m[1]!;
    if (operand.startsWith("@")) return [...(sets.get(operand.slice(1)) ?? [])];
    return operand.replace(/^\{|\}$/g, "").split(/[\s,]+/).filter((e) => e !== "");
  });
}
