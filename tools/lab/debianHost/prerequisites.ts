import * as fs from "node:fs";
import * as path from "node:path";

/** Programs the lab shells out to, and the Debian package that ships each. */
const REQUIRED: Record<string, string> = {
  debootstrap: "debootstrap",
  "systemd-nspawn": "systemd-container",
  ip: "iproute2",
  ssh: "openssh-client",
  scp: "openssh-client",
  "ssh-keygen": "openssh-client",
  nsenter: "util-linux",
  unshare: "util-linux",
  setpriv: "util-linux",
  flock: "util-linux",
  mount: "mount",
  umount: "mount",
};

/** Fails early, with the fix, instead of halfway through a boot. */
export function assertPrerequisites(): void {
  if (process.getuid?.() !== 0) {
    throw new Error("the lab host needs root (network namespaces, mounts, systemd-nspawn); run it as root");
  }
  const dirs = (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/sbin"]);
  const missing = Object.keys(REQUIRED).filter((cmd) => !dirs.some((dir) => isExecutable(path.join(dir, cmd))));
  if (missing.length) {
    const packages = [...new Set(missing.map((cmd) => REQUIRED[cmd]))].join(" ");
    throw new Error(`missing ${missing.join(", ")}; install with: apt-get install -y --no-install-recommends ${packages}`);
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
