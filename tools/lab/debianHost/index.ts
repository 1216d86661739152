/** A booted Debian 12 "droplet" for tests and the lab; see README.md. */
export { attachDebianHost, DebianHost, startDebianHost } from "./debianHost";
export type { CommandOptions, CommandResult, DebianHostOptions, SshCommandOptions, SshConnection, Timings } from "./debianHost";
export type { BootResult, SystemState } from "./container";
export { BASE_PACKAGES, DEFAULT_EXTRA_PACKAGES } from "./packages";
export { ensureRootfs, rootfsHash, type Rootfs } from "./rootfsCache";
export type { RootMode } from "./rootDir";
export type { AddressPair, LabSubnet } from "../net/addressPlan";
