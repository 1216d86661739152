/**
 * unbound.conf(5) as unbound reads it: `clause:` lines open a clause (`server:`,
 * `remote-control:`, ...), `name: value` lines inside it set an option (many may repeat),
 * `#` starts a comment, values may be quoted.
 */

export type UnboundConf = ReadonlyMap<string, ReadonlyArray<readonly [string, string]>>;

export function parseUnboundConf(text: string): Map<string, Array<[string, string]>> {
  const clauses = new Map<string, Array<[string, string]>>();
  let clause: Array<[string, string]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (line === "") continue;
    const match = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (!match) continue;
    const [, name, rest] = match as unknown as [string, string, string];
    if (rest === "" && !/^\s/.test(raw)) {
      clause = clauses.get(name) ?? [];
      clauses.set(name, clause);
      continue;
    }
    clause?.push([name, rest.replace(/^"(.*)"$/, "$1")]);
  }
  return clauses;
}

/** Every value an option has in a clause, in order. */
export function unboundOption(conf: UnboundConf, clause: string, name: string): string[] {
  return (conf.get(clause) ?? []).filter(([key]) => key === name).map(([, value]) => value);
}
