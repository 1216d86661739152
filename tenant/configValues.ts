/**
 * zod types for config values with the strictness and messages an operator needs. Pulumi hands
 * top-level scalars to the program as text (a YAML `3600` arrives as "3600") and lists and objects
 * as parsed JSON, so a number may come as either; either way it must be written in decimal digits
 * (`0x100` and `1e3` are refused), and a value of the wrong kind says what it got.
 */

import { z } from "zod";
import { describeType, displayValue } from "./displayValue";

/** Text: a required one says what it is for when missing, and every one says what it got instead. */
export function text(required?: string) {
  return z.string({ error: (issue) => (issue.input === undefined && required ? `is required: ${required}` : `must be text, not ${describeType(issue.input)}`) });
}

/** A list: a string where a list belongs says so (a YAML scalar instead of `- item`). */
export function list<T extends z.ZodType>(item: T, required?: string) {
  return z.array(item, {
    error: (issue) =>
      issue.input === undefined && required
        ? `is required: ${required}`
        : `must be a list (got ${describeType(issue.input)}${typeof issue.input === "string" ? `; write it as a YAML list: - ${displayValue(issue.input)}` : ""})`,
  });
}

/** A whole number between min and max, as a number or as decimal digits; never a list, hex or exponent. */
export function wholeNumber(min: number, max: number, reason?: { below?: string; above?: string }) {
  return z.unknown().transform((value, ctx) => {
    const parsed = typeof value === "number" ? value : typeof value === "string" && /^(0|[1-9][0-9]{0,14})$/.test(value) ? Number(value) : undefined;
    if (parsed === undefined || !Number.isSafeInteger(parsed)) {
      ctx.addIssue({ code: "custom", message: `must be a whole number written in decimal digits, not ${typeof value === "string" ? displayValue(value) : describeType(value)}` });
      return z.NEVER;
    }
    if (parsed < min) {
      ctx.addIssue({ code: "custom", message: reason?.below ?? `must be at least ${min}` });
      return z.NEVER;
    }
    if (parsed > max) {
      ctx.addIssue({ code: "custom", message: reason?.above ?? `must be at most ${max}` });
      return z.NEVER;
    }
    return parsed;
  });
}

/** true or false, as a boolean or the words Pulumi passes for a top-level scalar. */
export function flag() {
  return z.unknown().transform((value, ctx) => {
    if (value === true || value === "true") return true;
    if (value === false || value === "false") return false;
    ctx.addIssue({ code: "custom", message: `must be true or false, not ${typeof value === "string" ? displayValue(value) : describeType(value)}` });
    return z.NEVER;
  });
}

/** One of a few words; the message lists them and shows what was given. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, meaning?: string) {
  return z.enum(values, { error: (issue) => `must be one of ${values.join(", ")}${meaning ? ` (${meaning})` : ""}, not ${typeof issue.input === "string" ? displayValue(issue.input) : describeType(issue.input)}` });
}
