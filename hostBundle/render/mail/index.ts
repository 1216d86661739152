import type { BundleFile, HostService } from "../../bundleFile";
import { hostLayout } from "../../hostLayout";
import type { HostRenderContext } from "../../renderContext";
import { dovecotConfPath, renderDovecotConf } from "./dovecotConf";
import { renderDovecotPasswdFile } from "./dovecotPasswdFile";
import { renderPostfixSubmissionHeaderChecks } from "./postfixHeaderChecks";
import { postfixMainCfPath, renderPostfixMainCf } from "./postfixMainCf";
import { renderPostfixAliasTable, renderPostfixMailboxTable, renderPostfixSenderTable } from "./postfixTables";
import { postfixMasterCfPath, renderPostfixMasterCf } from "./postfixMasterCf";
import { postfwdDefaultsPath, renderPostfwdDefaults } from "./postfwdDefaults";
import { postfwdRulesPath, renderPostfwdRules } from "./postfwdRules";
import { renderRspamdFiles } from "./rspamd";
import { mtaStsResolverConfPath, renderMtaStsResolverConf } from "./mtaStsResolverConf";
import { renderUnboundConf, unboundConfPath } from "./unboundConf";

export { dkimKeyFile } from "./rspamd";
export { postfixSpoolSockets, rateLimitPolicyService, virtualMailUser } from "./mailDaemonWiring";

function configFile(path: string, content: string, service: HostService): BundleFile {
  return { path, content, mode: 0o644, owner: "root", group: "root", service };
}

/**
 * Every configuration file of the mail daemons (Postfix, postfwd, Dovecot, rspamd, unbound, the
 * MTA-STS resolver) for
 * one tenant. The DKIM private keys are not here: the bundle builder adds them with dkimKeyFile.
 */
export function renderMailDaemonFiles(ctx: HostRenderContext): BundleFile[] {
  return [
    configFile(unboundConfPath, renderUnboundConf(ctx), "unbound"),
    configFile(mtaStsResolverConfPath, renderMtaStsResolverConf(ctx), "mta-sts-resolver"),
    ...renderRspamdFiles(ctx),
    configFile(postfwdRulesPath, renderPostfwdRules(ctx), "rate-limit-policy"),
    configFile(postfwdDefaultsPath, renderPostfwdDefaults(ctx), "rate-limit-policy"),
    configFile(dovecotConfPath, renderDovecotConf(ctx), "dovecot"),
    {
      path: hostLayout.dovecotPasswdFile,
      content: renderDovecotPasswdFile(ctx),
      // Password hashes: readable by Dovecot's auth process (group dovecot), nobody else.
      mode: 0o640,
      owner: "root",
      group: "dovecot",
      service: "dovecot",
      secret: true,
    },
    configFile(postfixMainCfPath, renderPostfixMainCf(ctx), "postfix"),
    configFile(postfixMasterCfPath, renderPostfixMasterCf(ctx), "postfix"),
    // The tenant's account names: for Postfix, not for every local user.
    { ...configFile(hostLayout.postfixMailboxMap, renderPostfixMailboxTable(ctx), "postfix"), mode: 0o640, group: "postfix" },
    { ...configFile(hostLayout.postfixAliasMap, renderPostfixAliasTable(ctx), "postfix"), mode: 0o640, group: "postfix" },
    { ...configFile(hostLayout.postfixSenderMap, renderPostfixSenderTable(ctx), "postfix"), mode: 0o640, group: "postfix" },
    configFile(hostLayout.postfixSubmissionHeaderChecks, renderPostfixSubmissionHeaderChecks(ctx), "postfix"),
  ];
}
