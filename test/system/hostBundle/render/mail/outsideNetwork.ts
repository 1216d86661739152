/**
 * "The internet" for the live test: a network namespace joined to the host's by a veth pair. The
 * mail server listens on `serverAddress` (the host's end); clients connect from `clientAddresses`
 * inside the namespace, so Postfix and rspamd see a remote address, not loopback (which rspamd's
 * local_addrs exempt from SPF and DMARC).
 *
 * The test process stays in the host's namespace: a small relay runs inside the other one and
 * listens on a UNIX socket in the scratch directory. A connection to it sends one line, "host port
 * local-address", and is then spliced to a TCP connection made from inside the namespace.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { connect, type Socket } from "node:net";
import { runCommand } from "./processRunner";

export interface OutsideNetwork {
  /** The namespace's name, for `ip netns exec`. */
  readonly namespace: string;
  readonly serverAddress: string;
  readonly clientAddresses: readonly string[];
  /** A TCP connection from `localAddress` (inside the namespace) to the server's `port`. */
  connect(port: number, localAddress: string): Promise<Socket>;
  close(): Promise<void>;
}

/** The relay, run by node inside the namespace; argv[1] is its UNIX socket. */
const relayScript = `
const net = require("node:net");
net.createServer((client) => {
  let head = Buffer.alloc(0);
  const onData = (chunk) => {
    head = Buffer.concat([head, chunk]);
    const nl = head.indexOf(10);
    if (nl < 0) return;
    client.removeListener("data", onData);
    client.pause();
    const [host, port, localAddress] = head.subarray(0, nl).toString().trim().split(" ");
    const rest = head.subarray(nl + 1);
    const upstream = net.connect({ host, port: Number(port), localAddress }, () => {
      if (rest.length > 0) upstream.write(rest);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.on("close", () => upstream.destroy());
  };
  client.on("data", onData);
}).listen(process.argv[1], () => process.stdout.write("ready\\n"));
`;

async function ip(args: readonly string[]): Promise<void> {
  const result = await runCommand("ip", args);
  if (result.code !== 0) throw new Error(`ip ${args.join(" ")}: ${result.output}`);
}

/**
 * Creates the namespace `pm-mail-ext-<pid>` and the veth pair; the host's end carries
 * `serverAddress`/24, the namespace's end every client address. Undone by close(), which also
 * runs when setup fails halfway.
 */
export async function createOutsideNetwork(scratchDir: string, serverAddress: string, clientAddresses: readonly string[]): Promise<OutsideNetwork> {
  const name = `pm-mail-ext-${process.pid}`;
  const hostEnd = `pmx${process.pid}`.slice(0, 15);
  const socketPath = `${scratchDir}/outside-relay.sock`;
  let relay: ChildProcess | undefined;
  const close = async (): Promise<void> => {
    if (relay && relay.exitCode === null) {
      const exited = new Promise((resolve) => relay!.once("exit", resolve));
      relay.kill("SIGTERM");
      await exited;
    }
    // Deleting the namespace deletes its veth end, and with it the host's end.
    await runCommand("ip", ["netns", "delete", name]);
    await runCommand("ip", ["link", "delete", hostEnd]);
  };
  try {
    await ip(["netns", "add", name]);
    await ip(["link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", name]);
    await ip(["addr", "add", `${serverAddress}/24`, "dev", hostEnd]);
    await ip(["link", "set", hostEnd, "up"]);
    await ip(["-n", name, "link", "set", "lo", "up"]);
    for (const address of clientAddresses) await ip(["-n", name, "addr", "add", `${address}/24`, "dev", "eth0"]);
    await ip(["-n", name, "link", "set", "eth0", "up"]);
    relay = spawn("ip", ["netns", "exec", name, process.execPath, "-e", relayScript, socketPath], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      relay!.once("exit", (code) => reject(new Error(`the outside relay exited with ${code}`)));
      relay!.stdout!.once("data", () => resolve());
    });
  } catch (error) {
    await close();
    throw error;
  }
  return {
    namespace: name,
    serverAddress,
    clientAddresses,
    connect: (port, localAddress) =>
      new Promise((resolve, reject) => {
        const socket = connect(socketPath, () => {
          socket.write(`${serverAddress} ${port} ${localAddress}\n`);
          resolve(socket);
        });
        socket.once("error", reject);
      }),
    close,
  };
}
