import { selfExtractScriptText } from "../apply/applyScripts";
import { applyStateDir } from "../apply/renderApplySettings";
import { shellQuote } from "../apply/shellQuote";
import { hostLayout } from "../hostLayout";
import { bundleTree } from "./bundleTree";
import type { HostBundle } from "./hostBundle";
import { tarArchive } from "./tarArchive";

/** The line that separates the self-extracting script from the bundle's data. */
export const bundleDataMarker = "__BUNDLE_DATA__";

/**
 * The whole bundle as one self-extracting bash script, secrets included: the single text file
 * CopyToRemote uploads (command 1.2.1 copies a text asset, not an archive of them). After the
 * marker comes the directory form (bundleTree) as a base64 tar archive; running the script as
 * root unpacks it into the staging directory and runs apply.sh there.
 */
export function packHostBundle(bundle: HostBundle): string {
  const header = [
    "#!/bin/bash",
    `# PenguinMails host bundle for ${bundle.tenantId}, bundle ${bundle.hash} (sha256 of manifest.json).`,
    `STATE_DIR=${shellQuote(applyStateDir)}`,
    `STAGING_DIR=${shellQuote(hostLayout.bundleStagingDir)}`,
  ].join("\n");
  const data = tarArchive(bundleTree(bundle)).toString("base64").replace(/.{1,76}/g, "$&\n");
  return `${header}\n${selfExtractScriptText()}${bundleDataMarker}\n${data}`;
}
