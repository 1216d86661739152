type Teardown = () => void;

const live = new Set<Teardown>();
const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
let installed = false;

/**
 * Runs teardown (synchronously) if this process exits while the run is still up: on normal
 * exit, on process.exit(), on an uncaught error, and on SIGINT/SIGTERM/SIGHUP when nobody
 * else handles them. Returns the function that unregisters it after an orderly stop.
 *
 * A SIGKILL runs nothing: nspawn then still gets SIGTERM from its parent-death signal and the
 * container stops, and the next start (or `cli.ts down NAME`) removes the rest.
 */
export function registerExitCleanup(teardown: Teardown): () => void {
  install();
  live.add(teardown);
  return () => live.delete(teardown);
}

function runAll(): void {
  for (const teardown of [...live]) {
    live.delete(teardown);
    try {
      teardown();
    } catch (err) {
      process.stderr.write(`lab cleanup failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  // Someone else (the CLI, a test runner) handles this signal: let them stop hosts in order;
  // the exit hook still catches whatever they leave.
  if (process.listenerCount(signal) > 1) return;
  runAll();
  process.removeListener(signal, onSignal);
  process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", runAll);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}
