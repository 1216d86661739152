// The lab's pure parts: address plan, apt sources, rootfs cache key. The booted Debian 12 host is
// tested in test/system/lab/debianHost.test.ts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { debootstrapMirror, readBookwormSources, renderDeb822 } from "../../../tools/lab/debianHost/aptSources";
import { DEFAULT_EXTRA_PACKAGES, rootfsHash } from "../../../tools/lab/debianHost";
import { normalizePackages } from "../../../tools/lab/debianHost/packages";
import { chooseLabSubnet, labSubnetSlot } from "../../../tools/lab/net/addressPlan";

describe("lab addresses", () => {
  it("skips every slot that overlaps an address or route of this machine", () => {
    const first = labSubnetSlot(0);
    const chosen = chooseLabSubnet([first.host.v4, "192.0.2.0/24", "fd00::/64"]);
    expect(chosen).toEqual(labSubnetSlot(1));
  });

  it("treats an overlapping IPv6 range as taken too", () => {
    expect(chooseLabSubnet(["fd42:1ab:0:0::/64"]).cidr.v6).toBe("fd42:1ab:0:1::/64");
    expect(() => chooseLabSubnet(["fd42:1ab::/32"])).toThrow(/all 24 lab subnets overlap/);
  });

  it("prints IPv6 addresses the way ip(8) does", () => {
    expect(labSubnetSlot(0).host.v6).toBe("fd42:1ab::2");
    expect(labSubnetSlot(9).client.v6).toBe("fd42:1ab:0:9::3");
    expect(labSubnetSlot(8).cidr.v4).toBe("203.0.113.0/27");
  });
});

describe("apt sources", () => {
  it("finds the Debian 12 mirror in one-line and deb822 files, ignoring other repositories", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aptsrc-"));
    try {
      fs.mkdirSync(path.join(dir, "sources.list.d"));
      fs.writeFileSync(path.join(dir, "sources.list"), "# deb http://old.example/debian bookworm main\ndeb [arch=amd64] http://mirror.example/debian bookworm main contrib\n");
      fs.writeFileSync(
        path.join(dir, "sources.list.d", "debian.sources"),
        "Types: deb\nURIs: http://sec.example/debian-security\nSuites: bookworm-security\nComponents: main\n\nTypes: deb\nURIs: https://repo.example/node\nSuites: nodistro\nComponents: main\n",
      );
      fs.writeFileSync(path.join(dir, "sources.list.d", "other.list.disabled"), "deb http://nope.example/debian bookworm main\n");
      const sources = readBookwormSources(dir);
      expect(debootstrapMirror(sources)).toBe("http://mirror.example/debian");
      expect(sources.map((s) => s.uri)).toEqual(["http://mirror.example/debian", "http://sec.example/debian-security"]);
      expect(renderDeb822(sources)).toContain("URIs: http://sec.example/debian-security\nSuites: bookworm-security\n");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("says where it looked when there is no Debian 12 source", () => {
    expect(() => debootstrapMirror([])).toThrow(/no apt source for Debian bookworm main/);
  });
});

describe("rootfs cache key", () => {
  it("changes with the package list, not with its order or duplicates", () => {
    const base = rootfsHash(normalizePackages(DEFAULT_EXTRA_PACKAGES));
    expect(rootfsHash(normalizePackages([...DEFAULT_EXTRA_PACKAGES].reverse().concat("postfix")))).toBe(base);
    expect(rootfsHash(normalizePackages([...DEFAULT_EXTRA_PACKAGES, "lynis"]))).not.toBe(base);
  });

  it("rejects a package name apt would read as an option", () => {
    expect(() => normalizePackages(["--allow-unauthenticated"])).toThrow(/not a Debian package name/);
  });
});
