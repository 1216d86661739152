/**
 * A config value as a message shows it: JSON-quoted so control characters (ANSI escapes, a `\r`
 * that would overwrite the line) are escaped, and cut to a readable length. A config file is
 * input an operator may have pasted from anywhere; the terminal must not interpret it.
 */

const maximumShownCharacters = 60;

export function displayValue(value: unknown): string {
  let text: string;
  if (typeof value === "string") text = value;
  else if (value === undefined) return "nothing";
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
    if (text.length <= maximumShownCharacters) return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  }
  const shown = text.length > maximumShownCharacters ? text.slice(0, maximumShownCharacters) : text;
  const quoted = JSON.stringify(shown).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return text.length > maximumShownCharacters ? `${quoted}... (${text.length - maximumShownCharacters} more characters)` : quoted;
}

/** What kind of value it is, for "must be a list (got a string)". */
export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return "a string";
  if (typeof value === "number") return "a number";
  if (typeof value === "boolean") return "true or false";
  return typeof value;
}
