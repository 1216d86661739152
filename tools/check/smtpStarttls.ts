/** SMTP's STARTTLS (RFC 3207) by hand: greeting, EHLO, STARTTLS, then the TLS handshake on the same socket. */

import type * as net from "node:net";

interface Reply {
  readonly code: number;
  readonly lines: readonly string[];
}

export async function negotiateStarttls(socket: net.Socket, clientName: string): Promise<void> {
  const replies = replyReader(socket);
  const greeting = await replies.next();
  if (greeting.code !== 220) throw new Error(`the server greeted with ${describe(greeting)}`);
  socket.write(`EHLO ${clientName}\r\n`);
  const ehlo = await replies.next();
  if (ehlo.code !== 250) throw new Error(`EHLO was answered with ${describe(ehlo)}`);
  if (!ehlo.lines.some((line) => /^STARTTLS\b/i.test(line))) throw new Error("the server does not offer STARTTLS");
  socket.write("STARTTLS\r\n");
  const ready = await replies.next();
  if (ready.code !== 220) throw new Error(`STARTTLS was answered with ${describe(ready)}`);
  replies.detach();
}

function describe(reply: Reply): string {
  return `${reply.code} ${reply.lines[0] ?? ""}`.trim();
}

/**
 * RFC 5321 4.5.3.1.5 bounds a reply line at 512 octets; servers with long EHLO keywords stay well
 * inside twice that. A peer that never sends a line end (or an endless reply) is cut off here, so
 * reading never grows without bound.
 */
const maximumReplyLineOctets = 1024;
const maximumReplyLines = 100;

/** Reads multi-line replies ("250-..." continues, "250 ..." ends) without consuming bytes after the last one. */
function replyReader(socket: net.Socket): { next(): Promise<Reply>; detach(): void } {
  let buffer = "";
  let lines: string[] = [];
  const complete: Reply[] = [];
  let waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  let failure: Error | undefined;

  const onData = (chunk: Buffer) => {
    if (failure) return;
    buffer += chunk.toString("latin1");
    let end: number;
    while ((end = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, end).replace(/\r$/, "");
      buffer = buffer.slice(end + 1);
      const match = /^(\d{3})([ -]?)(.*)$/.exec(line);
      if (!match) {
        fail(new Error(`the server sent a line that is not SMTP: ${JSON.stringify(line.slice(0, 80))}`));
        return;
      }
      lines.push(match[3]!);
      if (lines.length > maximumReplyLines) {
        fail(new Error(`the server sent a reply of more than ${maximumReplyLines} lines`));
        return;
      }
      if (match[2] !== "-") {
        complete.push({ code: Number(match[1]), lines });
        lines = [];
      }
    }
    if (buffer.length > maximumReplyLineOctets) {
      fail(new Error(`the server sent more than ${maximumReplyLineOctets} octets without a line end`));
      return;
    }
    deliver();
  };
  const onEnd = () => fail(new Error("the server closed the connection"));
  const fail = (error: Error) => {
    failure = error;
    buffer = "";
    socket.destroy();
    deliver();
  };
  const deliver = () => {
    if (!waiting) return;
    const reply = complete.shift();
    if (reply) {
      const w = waiting;
      waiting = undefined;
      w.resolve(reply);
    } else if (failure) {
      const w = waiting;
      waiting = undefined;
      w.reject(failure);
    }
  };
  socket.on("data", onData);
  socket.on("end", onEnd);
  return {
    next: () =>
      new Promise<Reply>((resolve, reject) => {
        waiting = { resolve, reject };
        deliver();
      }),
    detach: () => {
      socket.off("data", onData);
      socket.off("end", onEnd);
    },
  };
}
