/** opendkim.conf: `Key value` lines, keys case-insensitive. */

export interface OpendkimConf {
  /** By lowercased key. */
  readonly settings: ReadonlyMap<string, string>;
  readonly problems: readonly string[];
}

export function parseOpendkimConf(text: string): OpendkimConf {
  const settings = new Map<string, string>();
  const problems: string[] = [];
  text.split("\n").forEach((line, index) => {
    if (/^\s*(#|$)/.test(line)) return;
    const match = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (!match) {
      problems.push(`line ${index + 1}: a key without a value`);
      return;
    }
    const key = match[1]!.toLowerCase();
    if (settings.has(key)) problems.push(`line ${index + 1}: ${match[1]} is set twice`);
    settings.set(key, match[2]!.trim());
  });
  return { settings, problems };
}
