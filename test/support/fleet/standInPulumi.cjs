#!/usr/bin/env node
// A stand-in for the `pulumi` CLI, for tests of tools that drive it through the Automation API.
// It answers the commands the SDK (@pulumi/pulumi 3.248.0, automation/) runs the way the real CLI
// does: `version`, `stack select`, `preview` (engine events to the SDK's gRPC server or event-log
// file), `up`, `refresh`, `stack history --json`, `stack output --json`. Each stack behaves as
// $STAND_IN_PULUMI_DIR/behaviour.json says:
//   { "version": "3.248.0",
//     "stacks": { "<stack>": { "mode": "succeed" | "fail" | "hang" | "stubborn" | "deaf",
//                              "delayMs": 300, "changes": { "create": 2, "same": 5 } } } }
// hang: runs until SIGINT, then stops like pulumi ("^C received; cancelling"); stubborn: ignores
// the first SIGINT (an operation in flight) and stops at the second; deaf: ignores SIGINT.
// A stack missing from "stacks" does not exist ("no stack named ... found").
// Every call is recorded in $STAND_IN_PULUMI_DIR/calls/<pid>.json: arguments, the Pulumi and
// provider variables of its environment, pid, parent, process group, start and end times, exit code,
// and, for an operation, whether its interrupt handler is in place.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const dir = process.env.STAND_IN_PULUMI_DIR;
if (!dir) {
  process.stderr.write("stand-in pulumi: STAND_IN_PULUMI_DIR is not set\n");
  process.exit(2);
}
const behaviour = JSON.parse(fs.readFileSync(path.join(dir, "behaviour.json"), "utf8"));
const args = process.argv.slice(2);
const startedAt = Date.now();
const signals = [];
let handlesInterrupts = false;

function procStat() {
  const stat = fs.readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { ppid: Number(fields[1]), pgrp: Number(fields[2]) };
}

const recordedEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => /^(PULUMI_|DIGITALOCEAN_|CLOUDFLARE_)/.test(name)));
const callFile = path.join(dir, "calls", `${process.pid}.json`);
function record(extra) {
  fs.mkdirSync(path.dirname(callFile), { recursive: true });
  const temporary = `${callFile}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify({ pid: process.pid, ...procStat(), args, env: recordedEnv, cwd: process.cwd(), startedAt, signals, handlesInterrupts, ...extra }));
  fs.renameSync(temporary, callFile);
}

function finish(code, stdout, stderr) {
  if (stdout) process.stdout.write(stdout);
  if (stderr) process.stderr.write(stderr);
  record({ endedAt: Date.now(), exitCode: code });
  process.exit(code);
}

function option(name) {
  const index = args.indexOf(name);
  return index < 0 ? undefined : args[index + 1];
}

const stackName = option("--stack");
const stack = stackName === undefined ? undefined : behaviour.stacks[stackName];
const words = args.slice(0, args.findIndex((arg) => arg.startsWith("-")) >>> 0);
const command = words.join(" ");

record({});

function stateFile(name) {
  return path.join(dir, "state", `${name}.json`);
}

function history(name) {
  try {
    return JSON.parse(fs.readFileSync(stateFile(name), "utf8"));
  } catch {
    return [];
  }
}

function remember(name, kind, changes) {
  fs.mkdirSync(path.dirname(stateFile(name)), { recursive: true });
  const previous = history(name);
  const now = new Date().toISOString();
  const update = { version: previous.length + 1, kind, startTime: new Date(startedAt).toISOString(), message: "", environment: { "exec.kind": option("--exec-kind") ?? "" }, config: {}, result: "succeeded", endTime: now, resourceChanges: changes };
  fs.writeFileSync(stateFile(name), JSON.stringify([update, ...previous]));
}

/** Engine events to wherever --event-log points: the SDK's gRPC server (CLI > 3.205) or a file. */
async function sendEvents(events) {
  const target = option("--event-log");
  if (target === undefined) return;
  if (!target.startsWith("tcp://")) {
    fs.appendFileSync(target, events.map((event) => `${JSON.stringify(event)}\n`).join(""));
    return;
  }
  const sdk = path.resolve(__dirname, "../../../node_modules/@pulumi/pulumi");
  const grpc = require(require.resolve("@grpc/grpc-js", { paths: [sdk] }));
  const { EventsClient } = require(path.join(sdk, "proto/events_grpc_pb.js"));
  const { EventRequest } = require(path.join(sdk, "proto/events_pb.js"));
  const client = new EventsClient(target.slice("tcp://".length), grpc.credentials.createInsecure());
  await new Promise((resolve, reject) => {
    const call = client.streamEvents((error) => (error ? reject(error) : resolve()));
    for (const event of events) {
      const request = new EventRequest();
      request.setEvent(JSON.stringify(event));
      call.write(request);
    }
    call.end();
  });
  client.close();
}

const verbs = { preview: ["Previewing update", "preview"], up: ["Updating", "update"], refresh: ["Refreshing", "refresh"] };

function resourcesText(changes) {
  const lines = Object.entries(changes).map(([kind, count]) => `    ${kind === "same" ? " " : "+"} ${count} ${kind === "same" ? "unchanged" : kind}`);
  return `Resources:\n${lines.join("\n")}\n`;
}

async function operate(verb) {
  if (!stack) return finish(255, "", `error: no stack named '${stackName}' found\n`);
  const [title, kind] = verbs[verb];
  process.stdout.write(`${title} (${stackName})\n\n`);
  const changes = stack.changes ?? { same: 1 };
  let interrupts = 0;
  process.on("SIGINT", () => {
    signals.push({ signal: "SIGINT", at: Date.now() });
    record({});
    interrupts += 1;
    if (stack.mode === "deaf") return;
    if (stack.mode === "stubborn" && interrupts === 1) {
      process.stdout.write("^C received; cancelling. If you would like to terminate immediately, press ^C again.\n");
      return;
    }
    if (interrupts === 1) {
      process.stdout.write("^C received; cancelling. If you would like to terminate immediately, press ^C again.\n");
      setTimeout(() => finish(255, "", `error: ${kind} canceled\n`), 100);
      return;
    }
    finish(255, "^C received; terminating\n", `error: ${kind} terminated\n`);
  });
  // Until now a SIGINT would have ended this process by default, as it would end pulumi before
  // its handler is set: tests wait for this mark before they interrupt.
  handlesInterrupts = true;
  record({});
  if (["hang", "stubborn", "deaf"].includes(stack.mode)) {
    setInterval(() => undefined, 60_000);
    return;
  }
  await new Promise((resolve) => setTimeout(resolve, stack.delayMs ?? 0));
  if (stack.mode === "fail") {
    return finish(255, `    digitalocean:index/droplet:Droplet mail **${kind} failed**\n`, `error: digitalocean:index/droplet:Droplet mail: stand-in failure of stack ${stackName}\nerror: ${kind} failed\n`);
  }
  await sendEvents([
    { sequence: 0, timestamp: Math.floor(Date.now() / 1000), preludeEvent: { config: {} } },
    { sequence: 1, timestamp: Math.floor(Date.now() / 1000), summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: changes, PolicyPacks: {} } },
    { sequence: 2, timestamp: Math.floor(Date.now() / 1000), cancelEvent: {} },
  ]);
  if (verb !== "preview") remember(stackName, kind, changes);
  finish(0, `${resourcesText(changes)}\nDuration: 1s\n`, "");
}

async function main() {
  switch (command) {
    case "version":
      return finish(0, `v${behaviour.version}\n`, "");
    case "stack select":
      return stack ? finish(0, "", "") : finish(255, "", `error: no stack named '${stackName}' found\n`);
    case "stack history": {
      const pageSize = Number(option("--page-size") ?? "0");
      const updates = history(stackName);
      return finish(0, `${JSON.stringify(pageSize > 0 ? updates.slice(0, pageSize) : updates, null, 4)}\n`, "");
    }
    case "stack output":
      return finish(0, "{}\n", "");
    case "preview":
    case "up":
    case "refresh":
      return operate(command);
    default:
      return finish(255, "", `error: the stand-in pulumi does not answer "${command}"\n`);
  }
}

main().catch((error) => finish(255, "", `error: stand-in crashed: ${error.stack}\n`));
