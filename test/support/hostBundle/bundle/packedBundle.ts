/** The host bundle as CopyToRemote uploads it, built from the real renderers, for policy tests. */

import * as pulumi from "@pulumi/pulumi";
import { expect } from "vitest";
import type { BundleFile } from "../../../../hostBundle/bundleFile";
import { assembleHostBundle } from "../../../../hostBundle/format/hostBundle";
import { packHostBundle } from "../../../../hostBundle/format/hostBundleArchive";
import { dkimKeyFile, renderMailDaemonFiles } from "../../../../hostBundle/render/mail";
import { renderSystemFiles } from "../../../../hostBundle/render/system";
import type { HostRenderContext } from "../../../../hostBundle/renderContext";
import { secretSignature, secretSignatureKey } from "../../../../tools/mockRuntime/secrets";
import { testRsaKeyPem } from "./bundleFixture";

/** A change to one shipped file; the test fails if it changes nothing (a stale pattern). */
export interface BundleEdit {
  readonly path: string;
  readonly change: (content: string) => string;
}

/** The real rendered files, as buildHostBundle assembles them. */
export function renderedBundleFiles(ctx: HostRenderContext): BundleFile[] {
  return [...renderMailDaemonFiles(ctx), ...renderSystemFiles(ctx), ...ctx.config.dkim.selectors.map((s) => dkimKeyFile(s, testRsaKeyPem()))];
}

/** The packed bundle, with the edits applied to the rendered files first. */
export function packedBundle(ctx: HostRenderContext, ...edits: readonly BundleEdit[]): Promise<string> {
  const files = renderedBundleFiles(ctx).map((file) => {
    let content = file.content;
    for (const edit of edits.filter((e) => e.path === file.path)) {
      const changed = edit.change(content);
      expect(changed, `the edit of ${edit.path} changes the file`).not.toBe(content);
      content = changed;
    }
    return content === file.content ? file : { ...file, content };
  });
  for (const edit of edits) expect(files.some((file) => file.path === edit.path), `${edit.path} is shipped`).toBe(true);
  return packHostBundle(assembleHostBundle(ctx, files));
}

/** The CopyToRemote inputs the component declares: a secret StringAsset source. */
export function bundleUploadInputs(text: string): Record<string, unknown> {
  return {
    connection: { host: "192.0.2.10", user: "root" },
    source: { [secretSignatureKey]: secretSignature, value: new pulumi.asset.StringAsset(text) },
    remotePath: "/root/penguinmails-upload/host-bundle.sh",
  };
}
