/** Reading sshd configuration text: the drop-in as rendered, or `sshd -T` output. */

/** `Keyword value` lines, keyed by lowercased keyword (sshd's keywords are case-insensitive). */
export function directives(text: string): Map<string, string> {
  const entries = text.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#")).map((l) => {
    const [keyword = "", ...rest] = l.trim().split(/\s+/);
    return [keyword.toLowerCase(), rest.join(" ")] as const;
  });
  return new Map(entries);
}
