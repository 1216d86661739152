/**
 * Under the mock runtime nothing reads the stack traces the SDK captures: the mock monitor ignores
 * a registration's source position, and a promise's creation stack is printed only by the leak
 * detector's debug mode. Formatting those traces (through source maps, under tsx) was over half
 * of a plan's CPU time, so mock runs skip them. The real engine path never loads this file.
 */
export function skipUnreadStackCaptures(): void {
  const resourceModule = require("@pulumi/pulumi/resource") as { Resource: { stackTrace(skip: number): unknown[] } };
  const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
    debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T>;
    debugPromiseLeaks: boolean;
  };
  if (typeof resourceModule.Resource.stackTrace !== "function" || typeof debuggable.debuggablePromise !== "function") {
    throw new Error("@pulumi/pulumi changed: Resource.stackTrace or debuggablePromise is gone; revisit skipUnreadStackCaptures");
  }
  resourceModule.Resource.stackTrace = () => [];
  if (debuggable.debugPromiseLeaks || process.env.PULUMI_DEBUG_PROMISE_LEAKS) return;
  if ((debuggable.debuggablePromise as { withoutStack?: boolean }).withoutStack) return;
  const original = debuggable.debuggablePromise;
  const withoutStack = <T>(p: Promise<T>, ctx: unknown): Promise<T> => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return original(p, ctx);
    } finally {
      Error.stackTraceLimit = limit;
    }
  };
  debuggable.debuggablePromise = Object.assign(withoutStack, { withoutStack: true });
}
