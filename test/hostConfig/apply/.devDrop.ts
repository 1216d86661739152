import * as fs from "node:fs";
import { startDebianHost } from "../../../tools/lab/debianHost";
import { hostPackages } from "../../../components/hostConfig/apply/serviceTable";
import { applyCommand, uploadPath } from "../../../components/hostConfig/apply/remoteCommands";
import { buildHostBundle } from "../../../components/hostConfig/bundle/buildHostBundle";
import { packHostBundle } from "../../../components/hostConfig/bundle/packHostBundle";
import { testRsaKeyPem } from "../bundle/bundleFixture";
import { labContext, prepareUpload } from "./labApply";
(async () => {
  const host = await startDebianHost({ extraPackages: hostPackages() });
  try {
    await prepareUpload(host);
    const good = buildHostBundle(labContext(host), { dkimPrivateKeyPems: { mail: testRsaKeyPem() } });
    fs.writeFileSync("/tmp/pmdev/hb.sh", packHostBundle(good));
    await host.copyTo("/tmp/pmdev/hb.sh", uploadPath);
    const r = await host.ssh(applyCommand(good.hash), { timeoutMs: 4000 });
    console.log("ssh killed:", r.code, JSON.stringify(r.stdout));
    for (let i = 0; i < 60; i++) {
      const st = await host.exec("systemctl list-units 'penguinmails-apply*' --no-legend --no-pager | wc -l; grep -c config.applied /var/log/penguinmails/audit.jsonl || true");
      console.log(i, st.stdout.replace(/\n/g, " "));
      if (st.stdout.trim().endsWith("1") && st.stdout.startsWith("0")) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    console.log((await host.exec("cat /var/lib/penguinmails/apply-output.log")).stdout);
    console.log((await host.ssh("echo fresh-ssh-ok")).stdout);
  } finally { await host.stop(); }
})();
