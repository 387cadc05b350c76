import { Buffer } from 'node:buffer';

// Text helpers of the redaction: pure functions over strings and buffers.

/** At most `maxBytes` bytes of `text` in UTF-8, never splitting a character. */
export function cutUtf8(text: string, maxBytes: number): { text: string; truncated: boolean } {
  // Fast path: even at 3 bytes per UTF-16 unit it fits.
  if (text.length * 3 <= maxBytes) return { text, truncated: false };
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.byteLength <= maxBytes) return { text, truncated: false };
  return {
    text: buffer.subarray(0, utf8Boundary(buffer, maxBytes)).toString('utf8'),
    truncated: true,
  };
}

/** The largest cut at or below `maxBytes` that does not split a UTF-8 character. */
export function utf8Boundary(buffer: Buffer, maxBytes: number): number {
  if (buffer.byteLength <= maxBytes) return buffer.byteLength;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) to the start of a character.
  while (end > 0 && (buffer[end]! & 0xc0) === 0x80) end--;
  return end;
}

/** `a=1&token=x` with the values of secret keys replaced; the rest kept byte for byte. */
export function redactPairs(
  text: string,
  isSecret: (key: string) => boolean,
  replacement: string,
  secrets?: string[],
): string {
  const parts = text.split('&');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const eq = part.indexOf('=');
    if (eq === -1 || !isSecret(decode(part.slice(0, eq)))) continue;
    secrets?.push(...secretParts(decode(part.slice(eq + 1))));
    parts[i] = `${part.slice(0, eq)}=${replacement}`;
  }
  return parts.join('&');
}

/**
 * Where the JSON value starting at `start` ends: after its closing quote or bracket (strings
 * inside skipped), or at the next `,` `}` `]` for a bare value; the end of the text if cut.
 */
export function jsonValueEnd(text: string, start: number): number {
  const first = text[start];
  if (first === '"') return stringEnd(text, start);
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (c === '"') i = stringEnd(text, i) - 1;
      else if (c === '{' || c === '[') depth++;
      else if ((c === '}' || c === ']') && --depth === 0) return i + 1;
    }
    return text.length;
  }
  let i = start;
  while (i < text.length && !',}]\n'.includes(text[i]!)) i++;
  return i;
}

/** As jsonValueEnd, for a value inside a JSON string, whose quotes are escaped (`\"`). */
export function escapedValueEnd(text: string, start: number): number {
  if (text.startsWith('\\"', start)) {
    const close = text.indexOf('\\"', start + 2);
    return close === -1 ? text.length : close + 2;
  }
  if (text[start] === '{' || text[start] === '[') {
    let depth = 0;
    for (let i = start; i < text.length; i++) {
      if (text.startsWith('\\"', i)) {
        const close = text.indexOf('\\"', i + 2);
        if (close === -1) return text.length;
        i = close + 1;
      } else if (text[i] === '{' || text[i] === '[') depth++;
      else if ((text[i] === '}' || text[i] === ']') && --depth === 0) return i + 1;
    }
    return text.length;
  }
  let i = start;
  while (i < text.length && !',}]\\\n'.includes(text[i]!)) i++;
  return i;
}

/** Index after the closing quote of the string opening at `start` (or the text's end). */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return text.length;
}

/** A secret and, when it has several, its parts (`Bearer abc` → also `abc`), for scrubbing. */
export function secretParts(value: string): string[] {
  const parts = value.split(/[\s,;=]+/);
  const long = parts.length > 1 ? parts.filter((p) => p.length >= 4) : [];
  return value.length >= 4 ? [value, ...long] : long;
}

/** A URL-encoded component, decoded; as given when malformed. */
export function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** Stores a key as an own property, even `__proto__`, which plain assignment would not. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}
