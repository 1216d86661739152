/**
 * The `name=value; name=value` shape shared by DKIM key records (RFC 6376 3.2), DMARC,
 * MTA-STS and TLS-RPT records. Each record's module checks names and values against its own
 * grammar; this only splits.
 */

export interface Tag {
  /** As written, case preserved: DKIM tag names are case-sensitive, DMARC's are not. */
  readonly name: string;
  /** Trimmed of surrounding whitespace. */
  readonly value: string;
  /** Whitespace stood between the name, the `=` and the value. */
  readonly spacedAroundEquals: boolean;
}

export interface SplitTagList {
  readonly tags: Tag[];
  readonly problems: string[];
}

/** `record` names the record kind in problems, e.g. "DMARC". */
export function splitTagList(text: string, record: string): SplitTagList {
  const tags: Tag[] = [];
  const problems: string[] = [];
  const segments = text.split(";");
  segments.forEach((segment, index) => {
    if (segment.trim() === "") {
      const isTrailing = index === segments.length - 1 && index > 0;
      if (!isTrailing) problems.push(`${record}: empty tag between ';' separators (tag ${index + 1})`);
      return;
    }
    const equals = segment.indexOf("=");
    if (equals === -1) {
      problems.push(`${record}: "${segment.trim()}" is not a name=value tag`);
      return;
    }
    const rawName = segment.slice(0, equals);
    const rawValue = segment.slice(equals + 1);
    const name = rawName.trim();
    if (name === "") {
      problems.push(`${record}: tag "${segment.trim()}" has no name`);
      return;
    }
    tags.push({
      name,
      value: rawValue.trim(),
      spacedAroundEquals: /\s$/.test(rawName) || /^\s/.test(rawValue),
    });
  });
  return { tags, problems };
}

/** Problems for tags named more than once; `normalize` folds case where names are case-insensitive. */
export function duplicateTagProblems(tags: readonly Tag[], record: string, normalize: (name: string) => string): string[] {
  const seen = new Set<string>();
  const reported = new Set<string>();
  const problems: string[] = [];
  for (const tag of tags) {
    const key = normalize(tag.name);
    if (seen.has(key) && !reported.has(key)) {
      problems.push(`${record}: tag "${key}" appears more than once`);
      reported.add(key);
    }
    seen.add(key);
  }
  return problems;
}
