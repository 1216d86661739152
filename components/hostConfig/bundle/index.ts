/** The host bundle: what ships to a tenant's host, how it is identified, written and packed. */
export { buildHostBundle, type HostBundleSecrets } from "./buildHostBundle";
export { assembleHostBundle, type HostBundle } from "./hostBundle";
export type { BundleManifest, ManifestEntry } from "./bundleManifest";
export { packHostBundle } from "./packHostBundle";
export { tlsBundleFiles, type TlsCertificatePems } from "./tlsFiles";
export { writeHostBundle, type WriteHostBundleOptions } from "./writeHostBundle";
