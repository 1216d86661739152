/** Progress lines as the lab goes: each with the time since the start, phases with their duration. */

export interface PhaseTime {
  readonly name: string;
  readonly ms: number;
}

export class Progress {
  readonly started = Date.now();
  readonly phases: PhaseTime[] = [];

  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {}

  line(text: string): void {
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1).padStart(6);
    for (const part of text.split("\n")) this.write(`[${seconds}s] ${part}`);
  }

  /** Runs one phase, timing it; a failure names the phase. */
  async phase<T>(name: string, what: string, run: () => Promise<T>): Promise<T> {
    const started = Date.now();
    this.line(`${name}: ${what}`);
    try {
      const result = await run();
      const ms = Date.now() - started;
      this.phases.push({ name, ms });
      this.line(`${name}: done in ${(ms / 1000).toFixed(1)} s`);
      return result;
    } catch (error) {
      this.phases.push({ name, ms: Date.now() - started });
      throw new PhaseError(name, error);
    }
  }
}

/** A setup phase failed: nothing could be checked. */
export class PhaseError extends Error {
  override name = "PhaseError";
  constructor(
    readonly phase: string,
    readonly cause: unknown,
  ) {
    super(`${phase} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}
