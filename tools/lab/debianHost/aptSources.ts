import * as fs from "node:fs";
import * as path from "node:path";

/** One repository line: a URI and the suites and components apt uses from it. */
export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
}

const RELEASE = "bookworm";

/**
 * The repositories this machine's apt already uses for Debian 12, so debootstrap and the
 * rootfs's apt go through the same mirror (the only one reachable here) with no host
 * name written into the code. Understands both one-line `.list` and deb822 `.sources`.
 */
export function readBookwormSources(aptDir = "/etc/apt"): AptSource[] {
  const files: string[] = [];
  const main = path.join(aptDir, "sources.list");
  if (fs.existsSync(main)) files.push(main);
  const partsDir = path.join(aptDir, "sources.list.d");
  if (fs.existsSync(partsDir)) {
    for (const name of fs.readdirSync(partsDir).sort()) {
      if (name.endsWith(".list") || name.endsWith(".sources")) files.push(path.join(partsDir, name));
    }
  }
  const sources = files.flatMap((file) => {
    const text = fs.readFileSync(file, "utf8");
    return file.endsWith(".sources") ? parseDeb822(text) : parseOneLine(text);
  });
  return sources
    .map((s) => ({ ...s, suites: s.suites.filter((suite) => suite === RELEASE || suite.startsWith(`${RELEASE}-`)) }))
    .filter((s) => s.suites.length > 0 && !s.suites.includes(`${RELEASE}-backports`));
}

/** The mirror debootstrap fetches the base system from: the one serving the plain release suite. */
export function debootstrapMirror(sources: readonly AptSource[]): string {
  const mirror = sources.find((s) => s.suites.includes(RELEASE) && s.components.includes("main"));
  if (!mirror) {
    throw new Error(
      `no apt source for Debian ${RELEASE} main was found in /etc/apt/sources.list or /etc/apt/sources.list.d; ` +
        "the lab's rootfs is fetched from the same mirror apt uses",
    );
  }
  return mirror.uri;
}

/** The rootfs's own /etc/apt/sources.list.d/debian.sources, pointing at the same mirrors. */
export function renderDeb822(sources: readonly AptSource[]): string {
  return sources
    .map((s) => [`Types: deb`, `URIs: ${s.uri}`, `Suites: ${s.suites.join(" ")}`, `Components: ${s.components.join(" ")}`].join("\n"))
    .join("\n\n")
    .concat("\n");
}

function parseOneLine(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line.startsWith("deb ")) continue;
    const withoutOptions = line.replace(/^deb\s+(\[[^\]]*\]\s+)?/, "");
    const [uri, suite, ...components] = withoutOptions.split(/\s+/);
    if (uri && suite) out.push({ uri, suites: [suite], components });
  }
  return out;
}

function parseDeb822(text: string): AptSource[] {
  const out: AptSource[] = [];
  const stanzas = text.split(/\n\s*\n/);
  for (const stanza of stanzas) {
    const fields = new Map<string, string>();
    let last = "";
    for (const line of stanza.split("\n")) {
      if (line.startsWith("#") || line.trim() === "") continue;
      if (/^\s/.test(line) && last) {
        fields.set(last, `${fields.get(last)} ${line.trim()}`);
        continue;
      }
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      last = line.slice(0, colon).trim().toLowerCase();
      fields.set(last, line.slice(colon + 1).trim());
    }
    const words = (key: string): string[] => (fields.get(key) ?? "").split(/\s+/).filter(Boolean);
    if (!words("types").includes("deb") || fields.get("enabled")?.toLowerCase() === "no") continue;
    for (const uri of words("uris")) out.push({ uri, suites: words("suites"), components: words("components") });
  }
  return out;
}
