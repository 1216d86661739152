import { defineConfig } from "vitest/config";

// Two lanes, marked by folder (docs/architecture.md, "Tests"):
// - unit: no root, no daemons, no namespaces; plain node, bash and GNU tar. `npm run test:unit`,
//   as any user, in under a minute.
// - system: the daemons and their checkers, namespaces, the booted Debian 12, Pebble and knot;
//   root and the packages tools/setup/install.sh installs. `npm run test:system`.
// `vitest run` runs both: the unit lane first, then the system lane.
export default defineConfig({
  test: {
    // Pulumi's mock runtime is process-global state: each test file gets its own process.
    pool: "forks",
    testTimeout: 30_000,
    projects: [
      {
        extends: true,
        // One worker per core (vitest's default leaves one core idle): the minute needs both on two cores.
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], maxWorkers: "100%", sequence: { groupOrder: 0 } },
      },
      // One file at a time on any machine: the system tests share the host (fixed test addresses
      // on veth links, fail2ban and nftables state, the lab's rootfs cache).
      { extends: true, test: { name: "system", include: ["test/system/**/*.test.ts"], fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
