/** nginx configuration text: the directives the policies judge. */

export interface NginxDirective {
  /** 1-based line the directive starts on. */
  readonly line: number;
  readonly args: readonly string[];
}

/** Every `name args;` directive outside comments, with the line it starts on. */
export function nginxDirectives(text: string, name: string): NginxDirective[] {
  const found: NginxDirective[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.replace(/#.*$/, "");
    for (const statement of line.split(/[;{}]/)) {
      const words = statement.trim().split(/\s+/);
      if (words[0] === name) found.push({ line: index + 1, args: words.slice(1) });
    }
  });
  return found;
}
