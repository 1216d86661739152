import { existsSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseTenantConfig } from "../../tenant/parseTenantConfig";
import { formatConfigProblems } from "../../tenant/tenantConfig";
import { Option, parseCommandLine, toolCommand, runTool } from "../cli/command";
import { secondsValue, stackNameValue } from "../cli/optionValues";
import { skipDynamicProviderSerialization } from "../mockRuntime/dynamicProviderCode";
import { defaultProgramTimeoutMs } from "../mockRuntime/runProgram";
import { describeFailure } from "../policy/failures";
import { renderPolicyReport } from "../policy/render";
import { checkNewStack } from "./checkNewStack";
import { dsRecordOutput, renderNextSteps, zoneDnssecType } from "./nextSteps";
import { rawTenantConfig, stackFileText, type NewTenant } from "./stackFile";
import { defaultDkimSelector, parseAliases, readAdminKeys, readMailboxHashes, TenantInputError } from "./tenantInput";

export const tenantNewExitCodes = {
  written: 0,
  /** Bad options, unreadable files, or a config the program or the policy pack refuses. */
  invalidInput: 2,
  /** The stack file exists: tenant:new never overwrites one. */
  exists: 3,
} as const;

const repeatable = (value: string, previous: string[] = []) => [...previous, value];

const command = toolCommand(
  "npm run tenant:new --",
  "Writes Pulumi.<stack>.yaml for a new tenant from validated input: the program's own config checks, then an offline plan with the policy pack. " +
    "Never overwrites a stack file, never writes a secret; prints the commands that set the secrets and bring the tenant up.",
)
  .requiredOption("--domain <domain>", "the tenant's mail domain")
  .requiredOption("--zone-id <id>", "the Cloudflare zone id of the domain")
  .requiredOption("--alert-email <address>", "where ban notices and certificate alerts go (in the domain: also give it as --mailbox)")
  .requiredOption("--admin-cidr <cidr>", "a network admins reach SSH from (repeatable)", repeatable)
  .requiredOption("--admin-key <file>", "a file of the admins' OpenSSH public keys, one per line (repeatable)", repeatable)
  .option("--deploy-cidr <cidr>", "a network the deploy runner reaches SSH from (repeatable)", repeatable, [])
  .option("--mailbox <address>", "a mailbox in the domain (repeatable); its hash comes from --mailbox-hash-file", repeatable, [])
  .option("--mailbox-hash-file <file>", "lines of address:hash, e.g. from: echo \"ops@example.org:$(doveadm pw -s BLF-CRYPT -r 12)\"")
  .option("--alias <address=target>", "an address delivered to a mailbox (repeatable)", repeatable, [])
  .option("--region <slug>", "the DigitalOcean region", "fra1")
  .option("--size <slug>", "the DigitalOcean droplet size", "s-1vcpu-2gb")
  .option("--dkim-selector <name>", "the first DKIM selector (default: pm and this year and month)")
  .option("--stack <name>", "the stack name (default: the domain)", stackNameValue)
  .option("--program <dir>", "the Pulumi program directory the stack file goes to (default: this project)")
  .addOption(new Option("--timeout <seconds>", "how long the offline check of the new stack may take").argParser(secondsValue(1, 3600)).default(defaultProgramTimeoutMs / 1000))
  .addHelpText(
    "after",
    [
      "",
      "Exit codes:",
      `  ${tenantNewExitCodes.written} the stack file was written`,
      `  ${tenantNewExitCodes.invalidInput} invalid options, files or tenant config (nothing written)`,
      `  ${tenantNewExitCodes.exists} the stack file exists (nothing written)`,
    ].join("\n"),
  );

interface TenantArgs {
  domain: string;
  zoneId: string;
  alertEmail: string;
  adminCidr: string[];
  adminKey: string[];
  deployCidr: string[];
  mailbox: string[];
  mailboxHashFile?: string;
  alias: string[];
  region: string;
  size: string;
  dkimSelector?: string;
  stack?: string;
  program?: string;
  timeout: number;
}

class RefusedError extends Error {}

async function run(args: TenantArgs): Promise<number> {
  const programDir = resolve(args.program ?? resolve(__dirname, "../.."));
  // The domain names the stack unless --stack does; a domain the program refuses is reported as such below.
  const stack = args.stack ?? args.domain.trim().toLowerCase();
  const existing = [`Pulumi.${stack}.yaml`, `Pulumi.${stack}.yml`].find((name) => existsSync(join(programDir, name)));
  if (existing) throw new RefusedError(`${join(programDir, existing)} exists; tenant:new never overwrites a stack file (edit it, or give another --stack)`);
  if (args.mailbox.length > 0 && !args.mailboxHashFile) throw new TenantInputError("--mailbox needs --mailbox-hash-file with a password hash for each mailbox");

  const hashes = args.mailboxHashFile ? readMailboxHashes(args.mailboxHashFile, args.mailbox) : new Map<string, string>();
  const tenant: NewTenant = {
    stack,
    domain: args.domain,
    region: args.region,
    size: args.size,
    cloudflareZoneId: args.zoneId,
    alertEmail: args.alertEmail,
    adminCidrs: args.adminCidr,
    deployCidrs: args.deployCidr,
    adminSshPublicKeys: readAdminKeys(args.adminKey),
    mailboxes: args.mailbox,
    aliases: parseAliases(args.alias),
    dkimSelector: args.dkimSelector ?? defaultDkimSelector(new Date()),
  };

  // The program's own checks, with the real hashes; the token is set later, so it stands in here.
  const parsed = parseTenantConfig(rawTenantConfig(tenant, { acmeDnsApiToken: "(set with pulumi config set --secret)", passwordHash: (address) => hashes.get(address) }));
  for (const notice of parsed.notices) console.error(`warning: ${notice.key}: ${notice.message}`);
  if (!parsed.ok) {
    console.error(`error: ${formatConfigProblems(parsed.problems)}`);
    return tenantNewExitCodes.invalidInput;
  }
  try {
    stackNameValue(stack);
  } catch (error) {
    throw new TenantInputError(`--domain ${parsed.config.domain}: ${(error as Error).message}; give --stack`);
  }
  const checked = await checkNewStack(programDir, { ...tenant, domain: parsed.config.domain }, args.timeout * 1000);
  if (checked.report.mandatoryCount > 0) {
    console.error("error: the policy pack refuses the new stack:");
    console.error(renderPolicyReport(checked.report));
    return tenantNewExitCodes.invalidInput;
  }

  const file = join(programDir, `Pulumi.${stack}.yaml`);
  try {
    // Exclusive create: a file that appeared meanwhile is still never overwritten.
    writeFileSync(file, stackFileText({ ...tenant, domain: parsed.config.domain }), { flag: "wx", mode: 0o644 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new RefusedError(`${file} exists; tenant:new never overwrites a stack file (edit it, or give another --stack)`);
    throw new TenantInputError(`--program ${programDir}: cannot write ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  console.log(`Checked offline: ${checked.resourceCount} resources, ${checked.report.mandatoryCount} mandatory and ${checked.report.advisoryCount} advisory policy findings.`);
  console.log(
    renderNextSteps({
      tenant: { ...tenant, domain: parsed.config.domain },
      stackFile: relative(process.cwd(), file) || file,
      ...(args.mailboxHashFile ? { mailboxHashFile: args.mailboxHashFile } : {}),
      zoneSigned: checked.resourceTypes.has(zoneDnssecType),
      dsRecordOutput: checked.outputNames.has(dsRecordOutput),
    }),
  );
  return tenantNewExitCodes.written;
}

async function main(): Promise<number> {
  const parsed = parseCommandLine(command, process.argv.slice(2), tenantNewExitCodes.invalidInput);
  if (!parsed.ok) return parsed.exitCode;
  skipDynamicProviderSerialization();
  return run(command.opts<TenantArgs>());
}

runTool(main, (error) => {
  if (error instanceof RefusedError) return { exitCode: tenantNewExitCodes.exists, message: `error: ${error.message}` };
  return { exitCode: tenantNewExitCodes.invalidInput, message: error instanceof TenantInputError ? `error: ${error.message}` : describeFailure(error).message };
});
