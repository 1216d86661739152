/**
 * Postfix's two configuration syntaxes, read the way Postfix reads them (postconf(5), master(5)),
 * for the policies that judge a shipped bundle and for the tests of the renderers.
 */

/** One configuration file as read: its settings, and what Postfix would warn about or misread. */
export interface PostfixMainCf {
  readonly settings: ReadonlyMap<string, string>;
  /** Names set twice (Postfix keeps the last and warns), stray continuation lines, lines that are no setting. */
  readonly problems: readonly string[];
}

/**
 * main.cf: a logical line starts with non-whitespace text and continues on lines that start with
 * whitespace; lines whose first non-whitespace character is `#`, and blank lines, are ignored
 * (they do not end a logical line). A name set twice keeps its last value, as in Postfix.
 */
export function parsePostfixMainCf(text: string): PostfixMainCf {
  const settings = new Map<string, string>();
  const problems: string[] = [];
  let current: { name: string; value: string; line: number } | undefined;
  const flush = (): void => {
    if (!current) return;
    if (settings.has(current.name)) problems.push(`line ${current.line}: ${current.name} is set again (Postfix keeps the last value)`);
    settings.set(current.name, current.value.trim());
    current = undefined;
  };
  text.split("\n").forEach((line, index) => {
    if (/^\s*(#|$)/.test(line)) return;
    if (/^\s/.test(line)) {
      if (current) current.value += ` ${line.trim()}`;
      else problems.push(`line ${index + 1}: a continuation line with no setting before it`);
      return;
    }
    flush();
    const match = /^([A-Za-z0-9_]+)\s*=(.*)$/.exec(line);
    if (match) current = { name: match[1]!, value: match[2]!, line: index + 1 };
    else problems.push(`line ${index + 1}: not a "name = value" setting`);
  });
  flush();
  return { settings, problems };
}

/** A master.cf service line with its arguments and `-o name=value` overrides. */
export interface PostfixService {
  readonly name: string;
  readonly type: string;
  readonly private: string;
  readonly unprivileged: string;
  readonly chroot: string;
  readonly wakeup: string;
  readonly maxproc: string;
  readonly command: string;
  /** Everything after the command, continuation lines included. */
  readonly args: readonly string[];
  readonly overrides: ReadonlyMap<string, string>;
}

export interface PostfixMasterCf {
  readonly services: readonly PostfixService[];
  readonly problems: readonly string[];
}

/**
 * master.cf: eight fields and the command's arguments, continued on lines that start with
 * whitespace. Overrides are `-o name=value` or `-oname=value`; a `-o` without `=` is a problem.
 */
export function parsePostfixMasterCf(text: string): PostfixMasterCf {
  const lines: Array<{ line: number; words: string[] }> = [];
  const problems: string[] = [];
  text.split("\n").forEach((line, index) => {
    if (/^\s*(#|$)/.test(line)) return;
    const words = line.trim().split(/\s+/);
    if (/^\s/.test(line)) {
      const last = lines.at(-1);
      if (last) last.words.push(...words);
      else problems.push(`line ${index + 1}: a continuation line with no service before it`);
      return;
    }
    lines.push({ line: index + 1, words });
  });
  const services: PostfixService[] = [];
  for (const { line, words } of lines) {
    if (words.length < 8) {
      problems.push(`line ${line}: a service needs 8 fields, this one has ${words.length}`);
      continue;
    }
    const [name, type, priv, unprivileged, chroot, wakeup, maxproc, command, ...args] = words as [string, string, string, string, string, string, string, string, ...string[]];
    const overrides = new Map<string, string>();
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      const value = arg === "-o" ? args[++i] : arg.startsWith("-o") ? arg.slice(2) : undefined;
      if (value === undefined) continue;
      const eq = value.indexOf("=");
      if (eq > 0) overrides.set(value.slice(0, eq), value.slice(eq + 1));
      else problems.push(`line ${line}: ${name}: "-o ${value}" is not name=value`);
    }
    services.push({ name, type, private: priv, unprivileged, chroot, wakeup, maxproc, command, args, overrides });
  }
  return { services, problems };
}

/**
 * A Postfix list: items separated by commas and whitespace. With main.cf's settings, a `$name` or
 * `${name}` item is replaced by that setting's list, as Postfix expands it.
 */
export function postfixList(value: string | undefined, main?: ReadonlyMap<string, string>, depth = 0): string[] {
  const items = (value ?? "").split(/[\s,]+/).filter((item) => item !== "");
  if (!main) return items;
  return items.flatMap((item) => {
    const ref = /^\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))$/.exec(item);
    return ref && depth < 10 ? postfixList(main.get(ref[1] ?? ref[2]!) ?? "", main, depth + 1) : [item];
  });
}

/** One smtpd listener of master.cf and the settings it runs with: main.cf's, then its own overrides. */
export interface PostfixSmtpdListener {
  readonly label: string;
  readonly settings: ReadonlyMap<string, string>;
  readonly overridden: ReadonlySet<string>;
}

/** Every smtpd listener (inet service running smtpd); main.cf alone when there is no master.cf. */
export function postfixSmtpdListeners(main: ReadonlyMap<string, string>, master: readonly PostfixService[] | undefined): PostfixSmtpdListener[] {
  const smtpd = (master ?? []).filter((service) => service.command === "smtpd" && service.type === "inet");
  if (smtpd.length === 0) return [{ label: "main.cf", settings: new Map(main), overridden: new Set() }];
  return smtpd.map((service) => ({
    label: `the ${service.name} listener (master.cf)`,
    settings: new Map([...main, ...service.overrides]),
    overridden: new Set(service.overrides.keys()),
  }));
}

/** Every protocol version name Postfix and OpenSSL know, oldest first. */
export const tlsProtocolOrder = ["SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const;

/** The versions a Postfix `*_tls_protocols` value enables (`>=TLSv1.2`, `!SSLv2, !SSLv3`, or an explicit list). */
export function postfixEnabledProtocols(value: string): string[] {
  const items = value.split(/[\s,:]+/).filter((item) => item !== "");
  let enabled = new Set<string>(tlsProtocolOrder);
  const positives: string[] = [];
  const rank = (version: string): number => tlsProtocolOrder.indexOf(version as (typeof tlsProtocolOrder)[number]);
  for (const item of items) {
    const bound = /^(>=|<=)(.+)$/.exec(item);
    if (bound) {
      const index = rank(bound[2]!);
      if (index < 0) continue;
      enabled = new Set([...enabled].filter((p) => (bound[1] === ">=" ? rank(p) >= index : rank(p) <= index)));
    } else if (item.startsWith("!")) {
      enabled.delete(item.slice(1));
    } else {
      positives.push(item);
    }
  }
  if (positives.length > 0) enabled = new Set([...enabled].filter((p) => positives.includes(p)));
  return tlsProtocolOrder.filter((p) => enabled.has(p));
}

/**
 * A Postfix lookup table in postmap's source format (postmap(1), also what `texthash:` reads):
 * `key value` per logical line, continuation lines start with whitespace, `#` lines and blank
 * lines are ignored. Keys are folded to lower case, as Postfix folds them for lookups; the value
 * is the list of results (aliases may name several, separated by commas or whitespace).
 */
export function parsePostfixLookupTable(text: string): Map<string, string[]> {
  const table = new Map<string, string[]>();
  const logicalLines: string[] = [];
  for (const line of text.split("\n")) {
    if (/^\s*(#|$)/.test(line)) continue;
    if (/^\s/.test(line) && logicalLines.length > 0) logicalLines[logicalLines.length - 1] += ` ${line.trim()}`;
    else logicalLines.push(line.trim());
  }
  for (const line of logicalLines) {
    const match = /^(\S+)\s+(.*)$/.exec(line);
    if (!match) continue;
    table.set(match[1]!.toLowerCase(), postfixList(match[2]));
  }
  return table;
}

/** The files a `type:path` table list names, for the table types read from a text file. */
export function postfixTextTablePaths(value: string | undefined, main?: ReadonlyMap<string, string>): string[] {
  return postfixList(value, main).flatMap((item) => {
    const match = /^(?:texthash|hash|lmdb|btree|cdb):(\/.+)$/.exec(item);
    return match ? [match[1]!] : [];
  });
}
