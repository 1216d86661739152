/** Bounded retries with exponential backoff for failures that may pass (network, 5xx, 429). */

export interface RetryPolicy {
  readonly attempts: number;
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  /** Never wait past this much time since the first attempt, whatever a Retry-After asks. */
  readonly budgetMs: number;
}

/** A CA or DNS API that is restarting or briefly overloaded recovers within a minute or not soon. */
export const transientRetryPolicy: RetryPolicy = { attempts: 5, firstDelayMs: 500, maxDelayMs: 8_000, budgetMs: 60_000 };

/** Thrown by an attempt that may succeed if repeated; `finalError` is what to report once retries run out. */
export class TransientError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    readonly finalError?: Error,
  ) {
    super(message);
    this.name = "TransientError";
  }
}

export async function retryTransient<T>(policy: RetryPolicy, attempt: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      const backoff = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (attemptNumber - 1));
      // Jitter keeps many stacks that failed together from retrying in lockstep.
      const delay = Math.max(error.retryAfterMs ?? 0, backoff * (0.8 + Math.random() * 0.4));
      const remaining = policy.budgetMs - (Date.now() - started);
      if (attemptNumber >= policy.attempts || delay > remaining) {
        throw error.finalError ?? new Error(`${error.message} (gave up after ${attemptNumber} attempts in ${Math.round((Date.now() - started) / 1000)} s)`);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Retry-After is either seconds or an HTTP date (RFC 9110 section 10.2.3). */
export function parseRetryAfter(header: unknown, now = Date.now()): number | undefined {
  if (typeof header !== "string" || header.trim() === "") return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Socket-level failures that a later attempt may not meet. */
export function isTransientNetworkError(error: unknown): boolean {
  // fetch() wraps the socket error in `cause`.
  const code = (error as { code?: unknown } | null)?.code ?? (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return (
    typeof code === "string" &&
    ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "ECONNABORTED", "EPIPE", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"].includes(code)
  );
}
