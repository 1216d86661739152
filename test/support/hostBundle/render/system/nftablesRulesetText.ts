/** Reading the rendered nftables ruleset as text: one chain's or set's body, a set's elements. */

/** The body of `chain NAME { ... }` or `set NAME { ... }` (no nested braces except one-line sets). */
export function block(text: string, kind: "chain" | "set", name: string): string {
  const match = new RegExp(`\\t${kind} ${name} \\{\\n([\\s\\S]*?)\\n\\t\\}`).exec(text);
  if (!match?.[1]) throw new Error(`no ${kind} ${name} in the ruleset`);
  return match[1];
}

export function setElements(text: string, name: string): string[] {
  const elements = /elements = \{ ([^}]*) \}/.exec(block(text, "set", name));
  return elements?.[1] ? elements[1].split(", ") : [];
}
