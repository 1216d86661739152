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
