import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The static bash halves of the bundle, read from this directory when a bundle is built, so
 * they stay plain .sh files that shellcheck and a reviewer read as they run.
 */
export function applyScriptText(): string {
  return readFileSync(join(__dirname, "apply.sh"), "utf8");
}

export function selfExtractScriptText(): string {
  return readFileSync(join(__dirname, "selfExtract.sh"), "utf8");
}
