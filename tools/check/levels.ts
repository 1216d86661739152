/** Expiry levels of the spec (baseline/tls.ts), their order, and the exit code of each. */

import { certificateExpiryLevels } from "../../baseline/tls";

export type Level = "ok" | "warning" | "alert" | "critical" | "unreachable";

/** Worst last; the exit code is the index. */
export const levelOrder: readonly Level[] = ["ok", "warning", "alert", "critical", "unreachable"];

export function exitCodeOf(level: Level): number {
  return levelOrder.indexOf(level);
}

export function worstLevel(levels: readonly Level[]): Level {
  return levels.reduce<Level>((worst, level) => (exitCodeOf(level) > exitCodeOf(worst) ? level : worst), "ok");
}

/** The tightest level whose window the remaining days fall in; an expired certificate is critical. */
export function expiryLevel(daysToExpiry: number): Level {
  const levels = [...certificateExpiryLevels].sort((a, b) => a.withinDays - b.withinDays);
  return levels.find((l) => daysToExpiry <= l.withinDays)?.level ?? "ok";
}
