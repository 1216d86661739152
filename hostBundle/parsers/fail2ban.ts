/**
 * fail2ban's configuration files read the way fail2ban reads them (Python's configparser:
 * `[section]`, `key = value`, continuation lines indented, `#` and `;` comment lines), and the
 * shell quoting of the tags in its action commands.
 */

export type Fail2banConfig = ReadonlyMap<string, ReadonlyMap<string, string>>;

/** Sections and their keys; a multi-line value keeps its lines joined by "\n". */
export function parseFail2banConfig(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let section: Map<string, string> | undefined;
  let key: string | undefined;
  for (const line of text.split("\n")) {
    if (/^\s*[#;]/.test(line) || line.trim() === "") {
      if (line.trim() === "") key = undefined;
      continue;
    }
    const header = /^\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      section = sections.get(header[1]!) ?? new Map();
      sections.set(header[1]!, section);
      key = undefined;
      continue;
    }
    if (/^\s/.test(line) && key !== undefined && section) {
      section.set(key, `${section.get(key)}\n${line.trim()}`);
      continue;
    }
    const setting = /^([^=:\s][^=:]*?)\s*[=:]\s?(.*)$/.exec(line);
    if (setting && section) {
      key = setting[1]!;
      section.set(key, setting[2]!.trim());
    }
  }
  return sections;
}

/**
 * Tags fail2ban fills from the ban ticket, which it passes to the shell as `$f2bV_<tag>`
 * variables whenever the value holds a shell metacharacter (fail2ban/server/action.py,
 * replaceDynamicTags and escapeTag). Every other tag, and every `%(name)s` interpolation, is
 * pasted into the command as raw text.
 */
export const fail2banTicketTags: ReadonlySet<string> = new Set([
  "ip",
  "ip-rev",
  "ip-host",
  "family",
  "fid",
  "failures",
  "time",
  "bantime",
  "bancount",
  "restored",
  "matches",
  "ipmatches",
  "ipjailmatches",
  "ipfailures",
  "ipjailfailures",
]);

export type ShellQuoting = "unquoted" | "single" | "double";

/** A tag or interpolation in a shell command and the quoting it sits in. */
export interface ShellPlaceholder {
  /** `<dest>` or `%(destemail)s`, as written. */
  readonly text: string;
  /** The tag's or interpolation's name. */
  readonly name: string;
  readonly kind: "tag" | "interpolation";
  readonly quoting: ShellQuoting;
}

/**
 * Every `<tag>` and `%(name)s` in a shell command, with the quoting the shell would see it in.
 * Command substitutions and here-documents are not followed: a placeholder inside one is reported
 * with the quoting around it, which is never weaker than the truth for single quotes.
 */
export function shellPlaceholders(command: string): ShellPlaceholder[] {
  const found: ShellPlaceholder[] = [];
  let quoting: ShellQuoting = "unquoted";
  for (let i = 0; i < command.length; i++) {
    const rest = command.slice(i);
    const tag = /^<([A-Za-z0-9_][A-Za-z0-9_?-]*)>/.exec(rest);
    const interpolation = /^%\(([A-Za-z0-9_-]+)\)s/.exec(rest);
    const placeholder = tag ?? interpolation;
    if (placeholder) {
      found.push({ text: placeholder[0], name: placeholder[1]!, kind: tag ? "tag" : "interpolation", quoting });
      i += placeholder[0].length - 1;
      continue;
    }
    if (rest.startsWith("%%")) {
      i += 1;
      continue;
    }
    const character = command[i];
    if (quoting === "single") {
      if (character === "'") quoting = "unquoted";
    } else if (character === "\\") {
      i += 1;
    } else if (quoting === "double") {
      if (character === '"') quoting = "unquoted";
    } else if (character === "'") {
      quoting = "single";
    } else if (character === '"') {
      quoting = "double";
    }
  }
  return found;
}

/** `name[key="value", key2=value2]` entries of a jail's `action` option. */
export function fail2banActionArguments(action: string): Array<{ action: string; arguments: Map<string, string> }> {
  const entries: Array<{ action: string; arguments: Map<string, string> }> = [];
  for (const match of action.matchAll(/([A-Za-z0-9_.%()-]+)\[((?:[^\]"']|"[^"]*"|'[^']*')*)\]/g)) {
    const args = new Map<string, string>();
    for (const arg of match[2]!.matchAll(/([A-Za-z0-9_-]+)\s*=\s*("([^"]*)"|'([^']*)'|[^,\s]*)/g)) {
      args.set(arg[1]!, arg[3] ?? arg[4] ?? arg[2]!);
    }
    entries.push({ action: match[1]!, arguments: args });
  }
  return entries;
}
