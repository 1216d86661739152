/**
 * The addresses allowed to reach SSH (adminCidrs and deployCidrs), judged as a whole: each block
 * must parse and be written as its network, none may be an IPv6 range that stands for IPv4
 * addresses, and together they may open only a bounded number of addresses per family, so that
 * "0.0.0.0/1" plus "128.0.0.0/1" is refused as surely as "0.0.0.0/0".
 */

import { cidrCoversEverything, cidrHasHostBitsSet, coveredAddressCounts, ipv4TranslationRangeOf, parseCidr, type Cidr } from "../baseline/cidr";
import { sshSourceAcknowledgedAddressLimit, sshSourceAddressLimit } from "../baseline/network";
import { displayValue } from "./displayValue";
import type { ConfigProblem } from "./tenantConfig";

export interface SshSourceLists {
  readonly adminCidrs: readonly string[];
  readonly deployCidrs: readonly string[];
  readonly acknowledgeWideSshSources: boolean;
}

/** The prefix a count of addresses amounts to, for a reader: 2^16 IPv4 addresses is "/16". */
function asPrefix(count: bigint, bits: number): string {
  const log = count.toString(2).length - 1;
  return 2n ** BigInt(log) === count ? `a /${bits - log}` : `more than a /${bits - log}`;
}

export function sshSourceProblems(lists: SshSourceLists, keyOf: (list: keyof Omit<SshSourceLists, "acknowledgeWideSshSources">, index?: number) => string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const parsed: Cidr[] = [];
  for (const list of ["adminCidrs", "deployCidrs"] as const) {
    lists[list].forEach((entry, i) => {
      const key = keyOf(list, i);
      const result = parseCidr(entry);
      if (!result.ok) return problems.push({ key, message: result.error.replace(`"${entry}"`, displayValue(entry)) });
      const { cidr } = result;
      if (cidrCoversEverything(cidr)) return problems.push({ key, message: `${displayValue(entry)} would open SSH to the whole internet; list the addresses admins and deploy runners use` });
      const translation = ipv4TranslationRangeOf(cidr);
      if (translation) return problems.push({ key, message: `${displayValue(entry)} overlaps ${translation}, which stands for IPv4 addresses: SSH would open to them through the back door; list IPv4 sources as IPv4 blocks` });
      if (cidrHasHostBitsSet(cidr)) return problems.push({ key, message: `${displayValue(entry)} has host bits set; write the block as ${cidr.network}` });
      parsed.push(cidr);
      return undefined;
    });
  }
  const counts = coveredAddressCounts(parsed);
  const limit = lists.acknowledgeWideSshSources ? sshSourceAcknowledgedAddressLimit : sshSourceAddressLimit;
  for (const [family, bits] of [["ipv4", 32], ["ipv6", 128]] as const) {
    const count = counts[family];
    if (count === 2n ** BigInt(bits)) {
      problems.push({ key: keyOf("adminCidrs"), message: `adminCidrs and deployCidrs together cover every ${family === "ipv4" ? "IPv4" : "IPv6"} address: SSH would be open to the whole internet` });
    } else if (count > limit[family]) {
      const acknowledged = lists.acknowledgeWideSshSources
        ? `even with acknowledgeWideSshSources the bound is ${limit[family]} (${asPrefix(limit[family], bits)})`
        : `above the bound of ${limit[family]} (${asPrefix(limit[family], bits)}); set acknowledgeWideSshSources: true to allow up to ${sshSourceAcknowledgedAddressLimit[family]} (${asPrefix(sshSourceAcknowledgedAddressLimit[family], bits)}) after review`;
      problems.push({
        key: keyOf("adminCidrs"),
        message: `adminCidrs and deployCidrs together open ${count} ${family === "ipv4" ? "IPv4" : "IPv6"} addresses (${asPrefix(count, bits)}) to SSH, ${acknowledged}`,
      });
    }
  }
  return problems;
}
