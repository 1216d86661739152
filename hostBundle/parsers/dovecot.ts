/** Dovecot's configuration syntax: `name = value` settings inside nested `section [name] { }` blocks. */

export interface DovecotSetting {
  /** The headers of the enclosing blocks, outermost first (`service imap-login`, `inet_listener imaps`). */
  readonly blocks: readonly string[];
  readonly name: string;
  readonly value: string;
  readonly line: number;
}

export interface DovecotConf {
  /** Every setting, wherever it is. */
  readonly settings: readonly DovecotSetting[];
  /** The settings outside any block, by name. */
  readonly topLevel: ReadonlyMap<string, string>;
  /** Names set twice in the same block, unbalanced braces, lines that are no setting. */
  readonly problems: readonly string[];
}

export function parseDovecotConf(text: string): DovecotConf {
  const settings: DovecotSetting[] = [];
  const problems: string[] = [];
  const blocks: string[] = [];
  const seen = new Set<string>();
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    if (line.endsWith("{")) {
      blocks.push(line.replace(/\s*\{$/, ""));
      return;
    }
    if (line === "}") {
      if (blocks.pop() === undefined) problems.push(`line ${index + 1}: "}" closes no block`);
      return;
    }
    const match = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(line);
    if (!match) {
      problems.push(`line ${index + 1}: not a "name = value" setting`);
      return;
    }
    const key = `${blocks.join("\u0000")}\u0001${match[1]}`;
    if (seen.has(key)) problems.push(`line ${index + 1}: ${match[1]} is set twice in the same block`);
    seen.add(key);
    settings.push({ blocks: [...blocks], name: match[1]!, value: match[2]!, line: index + 1 });
  });
  if (blocks.length > 0) problems.push(`the block "${blocks.at(-1)}" is never closed`);
  const topLevel = new Map(settings.filter((s) => s.blocks.length === 0).map((s) => [s.name, s.value]));
  return { settings, topLevel, problems };
}

/** The settings directly inside the first block whose header matches, by name. */
export function dovecotBlockSettings(conf: DovecotConf, header: RegExp): Map<string, string> {
  const match = conf.settings.find((s) => s.blocks.length > 0 && header.test(s.blocks.at(-1)!));
  if (!match) return new Map();
  const path = match.blocks.join("\u0000");
  return new Map(conf.settings.filter((s) => s.blocks.join("\u0000") === path).map((s) => [s.name, s.value]));
}
