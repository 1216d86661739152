/** `npm run check`'s expiry levels and exit codes; the CLI against live listeners is in test/system/certificate/check.test.ts. */

import { describe, expect, it } from "vitest";
import { certificateExpiryLevels } from "../../../baseline/tls";
import { exitCodeOf, expiryLevel, worstLevel } from "../../../tools/check/levels";

describe("expiry levels", () => {
  it("follow the baseline's windows: each level up to and including its day count", () => {
    const ordered = [...certificateExpiryLevels].sort((a, b) => a.withinDays - b.withinDays);
    for (const [i, { level, withinDays }] of ordered.entries()) {
      expect(expiryLevel(withinDays)).toBe(level);
      expect(expiryLevel(withinDays + 0.01)).toBe(ordered[i + 1]?.level ?? "ok");
    }
    expect(expiryLevel(-3)).toBe("critical");
  });

  it("exit with the code of the worst level", () => {
    expect(exitCodeOf(worstLevel(["ok", "warning", "alert"]))).toBe(2);
    expect(worstLevel(["critical", "unreachable", "ok"])).toBe("unreachable");
    expect(worstLevel([])).toBe("ok");
  });
});
