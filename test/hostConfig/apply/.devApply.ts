import { attachDebianHost } from "../../../tools/lab/debianHost";
import { buildHostBundle } from "../../../components/hostConfig/bundle/buildHostBundle";
import { testRsaKeyPem } from "../bundle/bundleFixture";
import { labContext, uploadAndApply } from "./labApply";
import * as fs from "node:fs";
(async () => {
  const host = await attachDebianHost(process.argv[2]!);
  const keyFile = "/tmp/pmdev/dkim.pem";
  if (!fs.existsSync(keyFile)) fs.writeFileSync(keyFile, testRsaKeyPem());
  const bundle = buildHostBundle(labContext(host), { dkimPrivateKeyPems: { mail: fs.readFileSync(keyFile, "utf8") } });
  const r = await uploadAndApply(host, bundle);
  console.log(`exit=${r.code} ms=${r.ms}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
})();
