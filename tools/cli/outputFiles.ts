/**
 * What the tools write where the user asks (`--json FILE`, `--out DIR`): every path is checked
 * before any work starts, files are written whole (a temporary file beside the target, then a
 * rename), and a directory is only ever replaced when everything in it is what this tool wrote
 * there, unchanged. A failure names the path and the option in one line.
 */

import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** A path the tool cannot write to, or may not replace. */
export class OutputPathError extends Error {
  override name = "OutputPathError";
  constructor(
    readonly option: string,
    readonly target: string,
    reason: string,
  ) {
    super(`${option} ${target}: ${reason}`);
  }
}

/** Kernel file systems: a write there is a command to the kernel (or spins forever), never a file. */
const kernelFileSystems = ["/proc", "/sys", "/dev"];
/** statfs magic numbers of procfs, sysfs, devtmpfs, debugfs, securityfs, cgroup2, tracefs. */
const kernelFileSystemTypes = new Set([0x9fa0, 0x62656572, 0x1cd1, 0x64626720, 0x73636673, 0x63677270, 0x74726163]);

function isKernelFileSystem(existingDir: string): boolean {
  const real = fs.realpathSync(existingDir);
  if (kernelFileSystems.some((root) => real === root || real.startsWith(`${root}/`))) return true;
  return kernelFileSystemTypes.has(Number(fs.statfsSync(real).type));
}

/** The nearest directory of `target` that exists, and whether it is the parent itself. */
function checkedParent(option: string, target: string): string {
  const parent = path.dirname(target);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(parent);
  } catch {
    throw new OutputPathError(option, target, `the directory ${parent} does not exist`);
  }
  if (!stat.isDirectory()) throw new OutputPathError(option, target, `${parent} is not a directory`);
  if (isKernelFileSystem(parent)) throw new OutputPathError(option, target, `${parent} is a kernel file system, not a place for files`);
  try {
    fs.accessSync(parent, fs.constants.W_OK);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === "EROFS" ? "a read-only file system" : "permission denied";
    throw new OutputPathError(option, target, `cannot write in ${parent} (${why})`);
  }
  return parent;
}

/** Checks a file the tool will write, before any work; returns its absolute path. */
export function checkOutputFile(option: string, file: string): string {
  const target = path.resolve(file);
  checkedParent(option, target);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.lstatSync(target);
  } catch {
    stat = undefined;
  }
  if (stat?.isDirectory()) throw new OutputPathError(option, target, "is a directory; give a file name");
  if (stat && !stat.isFile()) throw new OutputPathError(option, target, "exists and is not a regular file");
  return target;
}

/** Writes a file whole: readers see the old content or the new, never a part. */
export function writeFileAtomically(target: string, content: string, mode = 0o644): void {
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    fs.writeFileSync(temporary, content, { mode, flag: "wx" });
    fs.renameSync(temporary, target);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}

/** One file of a directory the tool writes, relative to the directory. */
export interface OutputEntry {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

/** The list of what the tool wrote into a directory, with each file's sha256, inside that directory. */
export const writtenListName = ".penguinmails-written.json";

interface WrittenList {
  readonly tool: string;
  readonly files: Record<string, string>;
}

const sha256 = (content: string | Buffer): string => createHash("sha256").update(content).digest("hex");

function filesUnder(root: string, dir = root): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(root, full);
    return [path.relative(root, full)];
  });
}

/**
 * Checks a directory the tool will write whole: missing, empty, or written earlier by this tool
 * and unchanged since. `inside` lists other output files, which must not lie in it (it is replaced
 * whole). Returns its absolute path.
 */
export function checkOutputDirectory(option: string, dir: string, tool: string, inside: readonly { option: string; file: string }[] = []): string {
  const target = path.resolve(dir);
  for (const other of inside) {
    const file = path.resolve(other.file);
    if (file === target || file.startsWith(`${target}${path.sep}`)) {
      throw new OutputPathError(option, target, `${other.option} ${file} lies inside it, and ${option} replaces the directory whole`);
    }
  }
  let stat: fs.Stats | undefined;
  try {
    stat = fs.lstatSync(target);
  } catch {
    stat = undefined;
  }
  if (!stat) {
    checkedParent(option, target);
    return target;
  }
  if (!stat.isDirectory()) throw new OutputPathError(option, target, "exists and is not a directory");
  checkedParent(option, target);
  if (isKernelFileSystem(target)) throw new OutputPathError(option, target, "is a kernel file system, not a place for files");
  const top = fs.readdirSync(target).sort();
  if (top.length === 0) return target;
  let written: WrittenList | undefined;
  try {
    written = top.includes(writtenListName) ? (JSON.parse(fs.readFileSync(path.join(target, writtenListName), "utf8")) as WrittenList) : undefined;
  } catch {
    written = undefined;
  }
  if (!written || written.tool !== tool || typeof written.files !== "object" || written.files === null) {
    throw new OutputPathError(option, target, `holds ${top.slice(0, 3).join(", ")}${top.length > 3 ? ", ..." : ""}, which ${tool} did not write; give an empty or new directory`);
  }
  const present = filesUnder(target).sort();
  const foreign = present.filter((file) => file !== writtenListName && !(file in written.files));
  const changed = present.filter((file) => file in written.files && sha256(fs.readFileSync(path.join(target, file))) !== written.files[file]);
  if (foreign.length > 0) throw new OutputPathError(option, target, `holds ${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ", ..." : ""}, which ${tool} did not write; move it away or give another directory`);
  if (changed.length > 0) throw new OutputPathError(option, target, `${changed.slice(0, 3).join(", ")}${changed.length > 3 ? ", ..." : ""} changed since ${tool} wrote it; move it away or give another directory`);
  return target;
}

/**
 * Writes a directory whole (checked first by checkOutputDirectory): the new tree is built beside
 * it and renamed into place, so an interrupted write leaves the old one. `mode` is the directory's.
 */
export function writeDirectoryAtomically(target: string, entries: readonly OutputEntry[], tool: string, mode = 0o755): void {
  const suffix = `${process.pid}.${randomBytes(4).toString("hex")}`;
  const building = `${target}.${suffix}.new`;
  const retired = `${target}.${suffix}.old`;
  try {
    fs.mkdirSync(building, { mode });
    fs.chmodSync(building, mode);
    const files: Record<string, string> = {};
    for (const entry of entries) {
      const file = path.join(building, entry.path);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, entry.content, { mode: entry.mode, flag: "wx" });
      fs.chmodSync(file, entry.mode);
      files[entry.path] = sha256(entry.content);
    }
    fs.writeFileSync(path.join(building, writtenListName), `${JSON.stringify({ tool, files } satisfies WrittenList, null, 2)}\n`, { mode: 0o644 });
    const replacing = fs.existsSync(target);
    if (replacing) fs.renameSync(target, retired);
    fs.renameSync(building, target);
    if (replacing) fs.rmSync(retired, { recursive: true, force: true });
  } catch (error) {
    fs.rmSync(building, { recursive: true, force: true });
    if (fs.existsSync(retired) && !fs.existsSync(target)) fs.renameSync(retired, target);
    throw error;
  }
}
