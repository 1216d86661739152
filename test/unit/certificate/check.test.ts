/** `npm run check`'s expiry levels and exit codes; the CLI against live listeners is in test/system/certificate/check.test.ts. */

import * as net from "node:net";
import { describe, expect, it } from "vitest";
import { certificateExpiryLevels } from "../../../baseline/tls";
import { exitCodeOf, expiryLevel, worstLevel } from "../../../tools/check/levels";
import { probe } from "../../../tools/check/probe";

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

describe("reading a hostile SMTP peer", () => {
  /** A server that greets, then streams `chunk` forever (until the client hangs up). */
  function flooding(chunk: string): Promise<{ port: number; sent: () => number; close: () => void }> {
    const sockets = new Set<net.Socket>();
    let sent = 0;
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => sockets.delete(socket));
      const pump = (): void => {
        while (!socket.destroyed && socket.write(chunk)) sent += chunk.length;
        if (!socket.destroyed) socket.once("drain", pump);
      };
      pump();
    });
    return new Promise((resolve) =>
      server.listen(0, "127.0.0.1", () =>
        resolve({
          port: (server.address() as net.AddressInfo).port,
          sent: () => sent,
          close: () => {
            for (const socket of sockets) socket.destroy();
            server.close();
          },
        }),
      ),
    );
  }

  it.each([
    ["a line that never ends", "x".repeat(65536), /more than 1024 octets without a line end/],
    ["a reply that never ends", "220-more\r\n".repeat(4096), /more than 100 lines/],
  ])("stops at %s, with bounded memory and well within the timeout", async (_title, chunk, message) => {
    const peer = await flooding(chunk);
    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();
    try {
      const result = await probe({ host: "mail.tenant-one.example", address: "127.0.0.1", service: { name: "smtp", port: peer.port, mode: "starttls", serverName: "mail" }, timeoutMs: 10_000 });
      expect(result).toMatchObject({ level: "unreachable", reachable: false, error: expect.stringMatching(message) });
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50 * 1024 * 1024);
    } finally {
      peer.close();
    }
  });
});
