/** Option values of the fleet tool, checked as strictly as tools/cli/optionValues.ts checks its own. */

import { InvalidArgumentError } from "../cli/command";
import { stackNameValue } from "../cli/optionValues";

/** A whole number between `min` and `max`, in decimal digits. */
export function countValue(min: number, max: number): (text: string) => number {
  return (text) => {
    if (!/^\d{1,6}$/.test(text)) throw new InvalidArgumentError(`expected a whole number in decimal digits, got ${JSON.stringify(text.slice(0, 40))}`);
    const value = Number(text);
    if (value < min || value > max) throw new InvalidArgumentError(`expected between ${min} and ${max}, got ${text}`);
    return value;
  };
}

/** `a,b,c`: stack names (each checked as --stack is), at least one. */
export function stackListValue(text: string): string[] {
  const names = text.split(",").map((name) => name.trim());
  if (names.some((name) => name.length === 0)) throw new InvalidArgumentError(`expected stack names separated by commas, got ${JSON.stringify(text.slice(0, 60))}`);
  return names.map(stackNameValue);
}
