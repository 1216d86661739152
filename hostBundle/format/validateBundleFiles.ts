import type { BundleFile } from "../bundleFile";
import { serviceRuntimes } from "../apply/serviceTable";

/**
 * Paths the apply script handles safely: absolute, no whitespace or shell metacharacters (the
 * manifest is tab-separated and read by bash), no `.` or `..` segments.
 */
const SAFE_PATH = /^(\/[A-Za-z0-9._@+-]+)+$/;
const ACCOUNT_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const PRIVATE_KEY_PEM = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/** Every problem with the rendered files at once, each naming its file; empty when the set is installable. */
export function bundleFileProblems(files: readonly BundleFile[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const where = file.path;
    if (!SAFE_PATH.test(file.path) || file.path.split("/").some((s) => s === "." || s === "..")) {
      problems.push(`${JSON.stringify(where)}: not an absolute path of letters, digits and . _ @ + - only`);
    }
    if (seen.has(file.path)) problems.push(`${where}: rendered twice`);
    seen.add(file.path);
    if (!Number.isInteger(file.mode) || file.mode < 0 || file.mode > 0o7777) problems.push(`${where}: mode ${file.mode} is not a permission value (0 to 0o7777)`);
    if (!ACCOUNT_NAME.test(file.owner)) problems.push(`${where}: owner ${JSON.stringify(file.owner)} is not a Linux account name`);
    if (!ACCOUNT_NAME.test(file.group)) problems.push(`${where}: group ${JSON.stringify(file.group)} is not a Linux group name`);
    if (!(file.service in serviceRuntimes)) problems.push(`${where}: unknown service ${JSON.stringify(file.service)}`);
    if (file.secret && (file.mode & 0o007) !== 0) problems.push(`${where}: secret file would be readable by every user (mode ${file.mode.toString(8)}); use 0600 or 0640`);
    if (!file.secret && PRIVATE_KEY_PEM.test(file.content)) problems.push(`${where}: holds a private key but is not marked secret`);
    if (file.content.includes("\0")) problems.push(`${where}: content holds a NUL byte; the bundle carries text files only`);
  }
  return problems;
}

export function assertBundleFiles(files: readonly BundleFile[]): void {
  const problems = bundleFileProblems(files);
  if (problems.length > 0) throw new Error(`the host bundle cannot be built (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  ${problems.join("\n  ")}`);
}
