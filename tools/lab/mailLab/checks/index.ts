/**
 * The checks in the order they run: stages one after another, the checks of a stage side by side.
 * Mail and the web first; then the scans and the abuse probes; then what reads their aftermath
 * (the scanner's standing, the logs); the apply of a broken bundle last, as it disturbs the host.
 */

import { applyRollback } from "./applySafety";
import type { LabCheck } from "./check";
import { daneTlsa } from "./dane";
import { fail2banBan, fail2banNotice, scannerNotBanned } from "./fail2ban";
import { httpsHeaders, mtaStsPolicy } from "./https";
import { logsClean } from "./logs";
import { mailIn, mailOut465, mailOut587 } from "./mailFlow";
import { portChecks, sshAdminOnly } from "./ports";
import { accountLimit, authAfterStarttls, connectionLimit, noRelay } from "./smtp";
import { tlsChecks } from "./tls";

export const checkStages: readonly (readonly LabCheck[])[] = [
  [mailIn, daneTlsa, mailOut587, mailOut465, mtaStsPolicy, httpsHeaders, authAfterStarttls, sshAdminOnly],
  // The account limit counts the recipients mail.out submitted, so it comes after them.
  [...tlsChecks, ...portChecks, noRelay, connectionLimit, fail2banBan, fail2banNotice, accountLimit],
  [scannerNotBanned, logsClean],
  [applyRollback],
];

export const allChecks: readonly LabCheck[] = checkStages.flat();
