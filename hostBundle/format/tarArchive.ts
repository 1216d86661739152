/** One regular file of a tar archive. */
export interface TarEntry {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

const BLOCK = 512;

function octalField(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

/** ustar keeps names over 100 bytes by splitting them at a slash into prefix (155) and name (100). */
function splitName(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: "" };
  for (let i = path.indexOf("/"); i >= 0; i = path.indexOf("/", i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  throw new Error(`${path}: too long for a tar header (100-byte name, 155-byte prefix)`);
}

function header(entry: TarEntry, size: number): Buffer {
  const block = Buffer.alloc(BLOCK, 0);
  const { name, prefix } = splitName(entry.path);
  block.write(name, 0, 100, "utf8");
  block.write(octalField(entry.mode, 8), 100, "ascii");
  block.write(octalField(0, 8), 108, "ascii"); // uid root
  block.write(octalField(0, 8), 116, "ascii"); // gid root
  block.write(octalField(size, 12), 124, "ascii");
  block.write(octalField(0, 12), 136, "ascii"); // mtime: fixed, so equal bundles give equal bytes
  block.write("        ", 148, "ascii"); // checksum counts as spaces while it is computed
  block.write("0", 156, "ascii"); // regular file
  block.write("ustar\0", 257, "ascii");
  block.write("00", 263, "ascii");
  block.write("root", 265, "ascii");
  block.write("root", 297, "ascii");
  block.write(prefix, 345, 155, "utf8");
  const checksum = block.reduce((sum, byte) => sum + byte, 0);
  block.write(`${checksum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return block;
}

/**
 * A deterministic ustar archive of regular files (owner root, mtime 0): the host unpacks a whole
 * bundle with one `tar -x` instead of a process per file.
 */
export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.content, "utf8");
    parts.push(header(entry, body.length), body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK, 0));
  }
  parts.push(Buffer.alloc(2 * BLOCK, 0));
  return Buffer.concat(parts);
}
