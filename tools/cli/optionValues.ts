/**
 * Option values checked strictly: a number is written in decimal digits (no `0x10`, `1e3`, `-5`
 * or spaces), a stack name is a name and never a path. Each throws commander's
 * InvalidArgumentError, which it reports as one line naming the option.
 */

import { InvalidArgumentError } from "commander";

/** Seconds between `min` and `max` inclusive, decimal digits with an optional fraction. */
export function secondsValue(min: number, max: number): (text: string) => number {
  return (text) => {
    if (!/^\d{1,6}(\.\d{1,3})?$/.test(text)) throw new InvalidArgumentError(`expected a number of seconds in decimal digits, got ${JSON.stringify(text.slice(0, 40))}`);
    const value = Number(text);
    if (value < min || value > max) throw new InvalidArgumentError(`expected between ${min} and ${max} seconds, got ${text}`);
    return value;
  };
}

/**
 * A stack name as `pulumi stack init` takes it (letters, digits, `-`, `_`, `.`), which selects
 * Pulumi.<name>.yaml: never a path, so `--stack ../../x` cannot read a file outside the program.
 */
export function stackNameValue(text: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/.test(text) || text.includes("..")) {
    throw new InvalidArgumentError(`${JSON.stringify(text.slice(0, 40))} is not a stack name (letters, digits, "-", "_" and "." only)`);
  }
  return text;
}
