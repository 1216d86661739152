import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";

export interface SmtpReply {
  readonly code: number;
  readonly lines: readonly string[];
}

/** A small SMTP client for probing: one command at a time, every reply read whole. */
export class SmtpSession {
  private buffer = "";
  private pending: ((line: string) => void)[] = [];
  private lines: string[] = [];
  private closed = false;

  private constructor(private socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  /**
   * Connects (implicit TLS when `tls` is given) and reads the greeting. `connect` replaces the
   * loopback TCP connection with one made elsewhere (outsideNetwork.ts: from another namespace).
   */
  static async open(port: number, options: { tls?: ConnectionOptions; localAddress?: string; connect?: () => Promise<Socket> } = {}): Promise<{ session: SmtpSession; greeting: SmtpReply }> {
    const raw = options.connect ? await options.connect() : undefined;
    const socket = await new Promise<Socket | TLSSocket>((resolve, reject) => {
      const address = raw ? { socket: raw } : { host: "127.0.0.1", port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) };
      const s: Socket | TLSSocket = options.tls
        ? tlsConnect({ ...address, ...options.tls }, () => resolve(s))
        : raw ?? netConnect(address as { host: string; port: number }, () => resolve(s));
      if (raw && !options.tls) resolve(raw);
      s.once("error", reject);
    });
    const session = new SmtpSession(socket);
    return { session, greeting: await session.reply() };
  }

  get tlsSocket(): TLSSocket | undefined {
    return "getCipher" in this.socket ? (this.socket as TLSSocket) : undefined;
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      let newline: number;
      while ((newline = this.buffer.indexOf("\n")) >= 0) {
        const line = this.buffer.slice(0, newline).replace(/\r$/, "");
        this.buffer = this.buffer.slice(newline + 1);
        const waiter = this.pending.shift();
        if (waiter) waiter(line);
        else this.lines.push(line);
      }
    });
    socket.on("close", () => {
      this.closed = true;
      for (const waiter of this.pending.splice(0)) waiter("");
    });
    socket.on("error", () => undefined);
  }

  private nextLine(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.closed) return Promise.resolve("");
    return new Promise((resolve) => this.pending.push(resolve));
  }

  /** One reply: lines until `NNN ` (space) ends it; a closed connection yields code 0. */
  async reply(): Promise<SmtpReply> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.nextLine();
      if (line === "") return { code: 0, lines };
      lines.push(line);
      if (/^\d{3} /.test(line) || !/^\d{3}-/.test(line)) return { code: Number(line.slice(0, 3)), lines };
    }
  }

  async command(line: string): Promise<SmtpReply> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** EHLO's keywords (AUTH, STARTTLS, ...) with their arguments. */
  async ehlo(name = "probe.example.net"): Promise<Map<string, string>> {
    const reply = await this.command(`EHLO ${name}`);
    if (reply.code !== 250) throw new Error(`EHLO refused: ${reply.lines.join(" | ")}`);
    return new Map(reply.lines.slice(1).map((l) => l.slice(4)).map((k) => [k.split(" ")[0]?.toUpperCase() ?? "", k.split(" ").slice(1).join(" ")]));
  }

  /** STARTTLS, then the handshake with `options`; resolves with the TLS socket or the handshake error. */
  async startTls(options: ConnectionOptions): Promise<{ socket?: TLSSocket; error?: Error; reply: SmtpReply }> {
    const reply = await this.command("STARTTLS");
    if (reply.code !== 220) return { reply };
    const plain = this.socket;
    plain.removeAllListeners("data");
    plain.removeAllListeners("close");
    return new Promise((resolve) => {
      const secure = tlsConnect({ socket: plain, ...options }, () => {
        this.socket = secure;
        this.buffer = "";
        this.attach(secure);
        resolve({ socket: secure, reply });
      });
      secure.once("error", (error) => resolve({ error, reply }));
    });
  }

  /** DATA with a dot-stuffed body; resolves with the reply to DATA and, if it went on, to the final dot. */
  async data(message: string): Promise<{ data: SmtpReply; final?: SmtpReply }> {
    const data = await this.command("DATA");
    if (data.code !== 354) return { data };
    const body = message.replace(/\r?\n/g, "\r\n").split("\r\n").map((l) => (l.startsWith(".") ? `.${l}` : l)).join("\r\n");
    this.socket.write(`${body}\r\n`);
    return { data, final: await this.command(".") };
  }

  close(): void {
    this.socket.destroy();
  }
}
