/**
 * The ACME lab on loopback: `startAcmeLab()` -> { directoryUrl, caPem, issuingRootPem, dnsServer, stop() }.
 * Each start picks free ports and a fresh temp dir; stop() ends the daemons and removes it all.
 */
export { startAcmeLab, type AcmeLab, type AcmeLabOptions } from "./acmeLab";
export { startKnot, type KnotOptions, type KnotServer } from "./knot";
export { startPebble, type CertificateStatus, type PebbleOptions, type PebbleServer } from "./pebble";
export { ensureAcmeLabPackages } from "./packages";
export { freeLoopbackPort } from "./ports";
export { createListenerCertificate, type ListenerCertificate } from "./listenerCertificate";
