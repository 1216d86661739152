import { startDebianHost } from "../../../tools/lab/debianHost";
import { hostPackages } from "../../../components/hostConfig/apply/serviceTable";
import { buildHostBundle } from "../../../components/hostConfig/bundle/buildHostBundle";
import { assembleHostBundle } from "../../../components/hostConfig/bundle/hostBundle";
import { testRsaKeyPem } from "../bundle/bundleFixture";
import { labContext, prepareUpload, uploadAndApply } from "./labApply";
(async () => {
  const host = await startDebianHost({ extraPackages: hostPackages() });
  try {
    await prepareUpload(host);
    const ctx = labContext(host);
    const good = buildHostBundle(ctx, { dkimPrivateKeyPems: { mail: testRsaKeyPem() } });
    const show = async (label: string, b: typeof good) => { const r = await uploadAndApply(host, b); console.log(`===== ${label}: exit=${r.code} ms=${r.ms}\n${r.stdout}${r.stderr}`); };
    await show("good", good);
    await show("broken main.cf", assembleHostBundle(ctx, good.files.map((f) => f.path === "/etc/postfix/main.cf" ? { ...f, content: f.content.replace(/^smtpd_tls_protocols = .*$/m, "smtpd_tls_protocols = >=TLSv1.9") } : f)));
    await show("nft typo", assembleHostBundle(ctx, good.files.map((f) => f.path === "/etc/nftables.conf" ? { ...f, content: f.content.replace("policy drop;", "policy dorp;") } : f)));
    await show("lockout", buildHostBundle(labContext(host, { adminCidrs: ["203.0.113.0/28"] }), { dkimPrivateKeyPems: { mail: testRsaKeyPem() } }));
    await show("bad dovecot", assembleHostBundle(ctx, good.files.map((f) => f.path === "/etc/dovecot/dovecot.conf" ? { ...f, content: f.content + "ssl_min_protocol = TLSv9\n" } : f)));
    console.log((await host.exec("tail -4 /var/log/penguinmails/audit.jsonl | cut -c1-400")).stdout);
  } finally { await host.stop(); }
})();
