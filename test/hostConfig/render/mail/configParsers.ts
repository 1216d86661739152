/** Readers for rendered config text, so unit tests assert settings, not substrings. */

/**
 * main.cf as Postfix reads it: `name = value`, continuation lines start with whitespace, `#` only
 * at the start of a line. A name set twice is an error here: Postfix silently keeps the last one.
 */
export function parsePostfixMainCf(text: string): Map<string, string> {
  const settings = new Map<string, string>();
  let current: { name: string; value: string } | undefined;
  const flush = (): void => {
    if (!current) return;
    if (settings.has(current.name)) throw new Error(`main.cf sets ${current.name} twice`);
    settings.set(current.name, current.value.trim());
    current = undefined;
  };
  for (const line of text.split("\n")) {
    if (/^\s*(#|$)/.test(line)) continue;
    if (/^\s/.test(line)) {
      if (!current) throw new Error(`continuation line without a parameter: ${line}`);
      current.value += ` ${line.trim()}`;
      continue;
    }
    flush();
    const match = /^([a-z0-9_]+)\s*=(.*)$/.exec(line);
    if (!match) throw new Error(`not a main.cf setting: ${line}`);
    current = { name: match[1] as string, value: match[2] as string };
  }
  flush();
  return settings;
}

/** Splits a Postfix list value at commas and whitespace. */
export function postfixList(value: string | undefined): string[] {
  return (value ?? "").split(/[\s,]+/).filter((item) => item.length > 0);
}

export interface MasterCfService {
  readonly name: string;
  readonly type: string;
  readonly chroot: string;
  readonly command: string;
  readonly options: Map<string, string>;
}

/** master.cf service lines with their `-o name=value` overrides. */
export function parsePostfixMasterCf(text: string): MasterCfService[] {
  const services: { name: string; type: string; chroot: string; command: string; options: Map<string, string> }[] = [];
  for (const line of text.split("\n")) {
    if (/^\s*(#|$)/.test(line)) continue;
    if (/^\s/.test(line)) {
      const option = /^\s+-o\s+([a-z0-9_]+)=(.*)$/.exec(line);
      const service = services[services.length - 1];
      if (!option || !service) throw new Error(`unexpected master.cf line: ${line}`);
      service.options.set(option[1] as string, option[2] as string);
      continue;
    }
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) throw new Error(`master.cf service line has ${fields.length} fields: ${line}`);
    const [name, type, , , chroot, , , command] = fields as [string, string, string, string, string, string, string, string];
    services.push({ name, type, chroot, command, options: new Map() });
  }
  return services;
}

/** `Key value` lines of opendkim.conf (keys are case-insensitive; stored lowercase). */
export function parseOpendkimConf(text: string): Map<string, string> {
  const settings = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (/^\s*(#|$)/.test(line)) continue;
    const match = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (!match) throw new Error(`not an opendkim.conf setting: ${line}`);
    const key = (match[1] as string).toLowerCase();
    if (settings.has(key)) throw new Error(`opendkim.conf sets ${key} twice`);
    settings.set(key, (match[2] as string).trim());
  }
  return settings;
}

/** Top-level `name = value` settings of dovecot.conf (outside any `{ }` block). */
export function dovecotTopLevelSettings(text: string): Map<string, string> {
  const settings = new Map<string, string>();
  let depth = 0;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#") || line === "") continue;
    if (line.endsWith("{")) {
      depth++;
      continue;
    }
    if (line === "}") {
      depth--;
      continue;
    }
    const match = /^([a-z0-9_]+)\s*=\s*(.*)$/.exec(line);
    if (depth === 0 && match) {
      if (settings.has(match[1] as string)) throw new Error(`dovecot.conf sets ${match[1]} twice`);
      settings.set(match[1] as string, match[2] as string);
    }
  }
  return settings;
}

/** The first `header {` block of dovecot.conf whose header (without the brace) matches, nested blocks included. */
export function dovecotBlock(text: string, header: RegExp): string {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line.trim().endsWith("{") && header.test(line.trim().replace(/\s*\{$/, "")));
  if (start < 0) throw new Error(`no dovecot block matching ${header}`);
  let depth = 0;
  const body: string[] = [];
  for (const line of lines.slice(start)) {
    if (line.trim().endsWith("{")) depth++;
    if (line.trim() === "}") depth--;
    body.push(line);
    if (depth === 0) break;
  }
  return body.join("\n");
}
