/**
 * TXT record values and the character-strings that carry them (RFC 1035 3.3.14).
 *
 * One character-string holds at most 255 octets; a longer value (an RSA DKIM key) is sent as
 * several strings that SPF (RFC 7208 3.3), DKIM (RFC 6376 3.6.2.2) and the other email records
 * join without any separator.
 *
 * Cloudflare's API: a TXT record's `content` "must consist of quoted character strings
 * (RFC 1035), each with a length of up to 255 bytes; strings exceeding this allowed maximum
 * length are automatically split" (the DNS record schema in Cloudflare's API reference). Since
 * late 2024 the dashboard flags every unquoted TXT content ("The content field of TXT records
 * must be in quotation marks"), even short ones written through the API. So every string is
 * quoted, short ones too, and strings are separated by one space; the split is done here rather
 * than left to Cloudflare so that what we publish is exactly what our tests resolve.
 */

/**
 * The longest character-string of a TXT record; longer values are split into several strings.
 * @source RFC 1035 section 3.3; RFC 7208 section 3.3
 */
export const txtCharacterStringMaxLength = 255;

const printableAscii = /^[\x20-\x7e]*$/;

/** Splits a value into character-strings of at most 255 characters. */
export function splitTxtValue(value: string): string[] {
  const offending = value.search(/[^\x20-\x7e]/);
  if (offending !== -1) {
    const code = value.codePointAt(offending) ?? 0;
    throw new Error(
      `TXT value must be printable ASCII: found U+${code.toString(16).toUpperCase().padStart(4, "0")} at position ${offending}`,
    );
  }
  if (value.length === 0) return [""];
  const strings: string[] = [];
  for (let start = 0; start < value.length; start += txtCharacterStringMaxLength) {
    strings.push(value.slice(start, start + txtCharacterStringMaxLength));
  }
  return strings;
}

export function joinTxtStrings(strings: readonly string[]): string {
  return strings.join("");
}

function quoteCharacterString(text: string): string {
  return `"${text.replace(/[\\"]/g, (character) => `\\${character}`)}"`;
}

/** The text for a Cloudflare TXT record's `content`: every string quoted, separated by spaces. */
export function renderTxtContent(value: string): string {
  return splitTxtValue(value).map(quoteCharacterString).join(" ");
}

/**
 * The character-strings in zone-file presentation (`"a" "b"`, with `\"`, `\\` and `\DDD`
 * escapes). Content that does not start with a quote is one string, as Cloudflare stores
 * unquoted content.
 */
export function parseTxtCharacterStrings(content: string): string[] {
  const text = content.trim();
  if (!text.startsWith('"')) return [text];
  const strings: string[] = [];
  let position = 0;
  while (position < text.length) {
    if (text[position] !== '"') {
      throw new Error(
        `TXT content: expected a quoted string at position ${position}, found ${JSON.stringify(text.slice(position, position + 10))}`,
      );
    }
    position += 1;
    let current = "";
    let closed = false;
    while (position < text.length) {
      const character = text[position];
      if (character === '"') {
        closed = true;
        position += 1;
        break;
      }
      if (character === "\\") {
        const decimal = /^\d{3}/.exec(text.slice(position + 1));
        if (decimal) {
          const code = Number(decimal[0]);
          if (code > 255) throw new Error(`TXT content: escape \\${decimal[0]} is above 255`);
          current += String.fromCharCode(code);
          position += 4;
          continue;
        }
        if (position + 1 >= text.length) throw new Error("TXT content: a backslash ends the content");
        current += text[position + 1];
        position += 2;
        continue;
      }
      current += character;
      position += 1;
    }
    if (!closed) throw new Error("TXT content: a quoted string is not closed");
    strings.push(current);
    const gap = /^\s*/.exec(text.slice(position))?.[0] ?? "";
    if (gap.length === 0 && position < text.length) {
      throw new Error(`TXT content: quoted strings must be separated by whitespace (position ${position})`);
    }
    position += gap.length;
  }
  return strings;
}

/** The joined value of Cloudflare TXT content, quoted or not. */
export function parseTxtContent(content: string): string {
  return joinTxtStrings(parseTxtCharacterStrings(content));
}

/** Problems with TXT content as published: strings over 255 characters or non-ASCII text. */
export function validateTxtContent(content: string): string[] {
  let strings: string[];
  try {
    strings = parseTxtCharacterStrings(content);
  } catch (error) {
    return [(error as Error).message];
  }
  const problems: string[] = [];
  strings.forEach((text, index) => {
    if (text.length > txtCharacterStringMaxLength) {
      problems.push(
        `TXT content: string ${index + 1} is ${text.length} characters; each string may hold at most ${txtCharacterStringMaxLength}`,
      );
    }
    if (!printableAscii.test(text)) {
      problems.push(`TXT content: string ${index + 1} contains characters outside printable ASCII`);
    }
  });
  return problems;
}
