/**
 * The lab's DNSSEC "internet": a signed root, a signed TLD and test zones (secure or bogus) served
 * by knot on a lab host's link, and the lab-only step that makes the host trust that root.
 * See README.md.
 */
export { parseKdig, planZones, spoilDigest, startLabDns, type DnsAnswer, type LabDns, type LabDnsOptions, type LabZone } from "./labDns";
export { startLabDnsFor, trustLabRoot } from "./labRoot";
export { mailLabDomains, mailLabMx, mailLabZones, publishMailLabTlsa } from "./mailZones";
