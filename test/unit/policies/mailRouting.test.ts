// The mail-routing policy follows report, alert and role addresses through the Postfix tables of a
// real packed bundle, as Postfix's virtual(5) would.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { reportAddressesDelivered } from "../../../policies/mailRouting";
import { bundleTestContext } from "../../support/hostBundle/bundle/bundleFixture";
import { bundleUploadInputs, packedBundle, type BundleEdit } from "../../support/hostBundle/bundle/packedBundle";
import { dnsRecord, evaluateOne, resource, txt, violations } from "./support";

const copyToRemoteType = "command:remote:CopyToRemote";
const domain = "tenant-one.example";
const ctx = bundleTestContext();
const mailboxTable = "/etc/postfix/penguinmails-mailboxes";
const aliasTable = "/etc/postfix/penguinmails-aliases";

const upload = (text: string) => resource(copyToRemoteType, "host-upload", bundleUploadInputs(text));
const dmarc = (rua: string, ruf = rua) => txt(`_dmarc.${domain}`, `v=DMARC1; p=quarantine; rua=mailto:${rua}; ruf=mailto:${ruf}; fo=1`, "dmarc");
const tlsRpt = (rua: string) => txt(`_smtp._tls.${domain}`, `v=TLSRPTv1; rua=mailto:${rua},https://reports.example/tlsrpt`, "tlsrpt");
const iodef = (address: string) => dnsRecord(domain, "CAA", { data: { flags: 0, tag: "iodef", value: `mailto:${address}` } }, "caa-iodef");

let realBundle: string;
beforeAll(async () => {
  realBundle = await packedBundle(ctx);
});

async function check(records: ReturnType<typeof txt>[], ...edits: BundleEdit[]): Promise<string[]> {
  const bundle = edits.length > 0 ? await packedBundle(ctx, ...edits) : realBundle;
  return violations(reportAddressesDelivered, [upload(bundle), ...records]);
}

describe("report-addresses-delivered", () => {
  it("passes the example tenant: report and role addresses alias to its one mailbox", async () => {
    expect(await check([dmarc(`dmarc@${domain}`), tlsRpt(`tlsrpt@${domain}`), iodef(`postmaster@${domain}`)])).toEqual([]);
  });

  it("folds case as Postfix does, and ignores addresses of domains the host does not receive for", async () => {
    expect(await check([dmarc(`DMARC@Tenant-One.EXAMPLE`, "reports@other.example"), tlsRpt("tls@reports.example")])).toEqual([]);
  });

  it("reports a DMARC rua with no mailbox, naming the address and the record", async () => {
    const messages = await check([dmarc(`nobody@${domain}`, `dmarc@${domain}`)]);
    expect(messages).toEqual([
      expect.stringMatching(
        /^nobody@tenant-one\.example, the DMARC rua of cloudflare:index\/dnsRecord:DnsRecord "dmarc" at "_dmarc\.tenant-one\.example", ends in no mailbox of command:remote:CopyToRemote "host-upload": nobody@tenant-one\.example is neither a mailbox nor an alias of one, so Postfix refuses it at RCPT\. Fix: /,
      ),
    ]);
  });

  it("reports TLS-RPT and CAA iodef addresses with no mailbox, and skips their https: URIs", async () => {
    const messages = await check([tlsRpt(`tls-reports@${domain}`), iodef(`security@${domain}`)]);
    expect(messages.map((m) => m.split(",")[0])).toEqual([`tls-reports@${domain}`, `security@${domain}`]);
  });

  it("knows address extensions only when recipient_delimiter is set", async () => {
    expect(await check([dmarc(`ops+dmarc@${domain}`, `ops@${domain}`)])).toHaveLength(1);
    const withDelimiter: BundleEdit = { path: "/etc/postfix/main.cf", change: (c) => `${c}recipient_delimiter = +\n` };
    expect(await check([dmarc(`ops+dmarc@${domain}`, `ops@${domain}`)], withDelimiter)).toEqual([]);
  });

  it("reports every role and alert address when the mailbox they end in is gone", async () => {
    const noMailbox: BundleEdit = { path: mailboxTable, change: (c) => c.replace(/^ops@tenant-one\.example .*\n/m, "") };
    const reported = (await check([], noMailbox)).map((m) => m.slice(0, m.indexOf(",")));
    expect(reported.sort()).toEqual([`abuse@${domain}`, `ops@${domain}`, `ops@${domain}`, `postmaster@${domain}`]);
    const messages = await check([], noMailbox);
    expect(messages.find((m) => m.includes("fail2ban destemail"))).toMatch(/^ops@tenant-one\.example, fail2ban destemail in \/etc\/fail2ban\/\S+, ends in no mailbox of /);
    expect(messages.find((m) => m.startsWith(`postmaster@`))).toMatch(/\(reached through postmaster@tenant-one\.example\) is neither a mailbox/);
  });

  it("reports an alias loop and an alias to an address without a mailbox", async () => {
    const loop: BundleEdit = { path: aliasTable, change: (c) => `${c}a@${domain} b@${domain}\nb@${domain} a@${domain}\nc@${domain} ops@${domain}, gone@${domain}\n` };
    const messages = await check([dmarc(`a@${domain}`, `c@${domain}`)], loop);
    expect(messages).toEqual([
      expect.stringContaining("aliases loop at a@tenant-one.example (reached through a@tenant-one.example -> b@tenant-one.example)"),
      expect.stringContaining("gone@tenant-one.example (reached through c@tenant-one.example) is neither a mailbox nor an alias of one"),
    ]);
  });

  it("reports a table main.cf names that the bundle does not ship", async () => {
    const missing: BundleEdit = { path: "/etc/postfix/main.cf", change: (c) => c.replace(/^virtual_alias_maps = .*$/m, "virtual_alias_maps = texthash:/etc/postfix/elsewhere") };
    const messages = await check([], missing);
    expect(messages[0]).toMatch(/^command:remote:CopyToRemote "host-upload": \/etc\/postfix\/elsewhere is named in \/etc\/postfix\/main\.cf but not shipped\. Fix: /);
    expect(messages.some((m) => m.startsWith(`postmaster@${domain}`)), "without the role aliases postmaster@ has no mailbox").toBe(true);
  });

  it("cannot run while the bundle is unknown (preview), and says so", async () => {
    const report = await evaluateOne(reportAddressesDelivered, [resource(copyToRemoteType, "u", { source: pulumi.unknown }), dmarc(`nobody@${domain}`)]);
    expect(report.diagnostics.map((d) => [d.enforcementLevel, d.message.slice(0, 10)])).toEqual([["advisory", "can't run "]]);
  });
});
