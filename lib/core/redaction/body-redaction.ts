import { Buffer } from 'node:buffer';
import {
  cutUtf8,
  decode,
  escapedValueEnd,
  jsonValueEnd,
  redactPairs,
  setOwn,
  utf8Boundary,
} from './redaction-text.js';
import { REDACTED } from './redaction-marks.js';

/** A body as it may be recorded. */
export interface CapturedBody {
  /** Redacted; pretty-printed when it was JSON; cut at the byte cap. */
  readonly text: string;
  /** The size of the original body, when known. */
  readonly bytes: number | undefined;
  readonly truncated: boolean;
  /** The redacted value when the body was complete JSON (for files that embed it). */
  readonly json?: unknown;
}

/** Bodies longer than this are not parsed to be pretty-printed: they are cut and scanned. */
const PARSE_LIMIT_BYTES = 256 * 1024;
const MAX_DEPTH = 64;
const TEXTUAL_TYPE = /json|^text\/|xml|x-www-form-urlencoded|javascript|graphql|event-stream/i;
const FORM_TYPE = /x-www-form-urlencoded/i;
const FORM = 'application/x-www-form-urlencoded';
/** `"key":` in JSON text that could not be parsed (too long, or cut). */
const JSON_KEY = /"((?:[^"\\]|\\.){1,200})"\s*:\s*/g;
/** `\"key\":` in JSON that was itself put in a JSON string. */
const ESCAPED_JSON_KEY = /\\"([^"\\]{1,200})\\"\s*:\s*/g;
/** `key=value` in form-encoded or plain text. */
const FORM_PAIR = /(^|[?&;\s])([^=&;\s]{1,200})=([^&;\s]*)/g;

/** Redacts request and response bodies by key: JSON, JSON in strings, forms, cut text. */
export class BodyRedactor {
  constructor(private readonly isSecretKey: (key: string) => boolean) {}

  /**
   * A body as it may be recorded: JSON parsed, redacted by key and pretty-printed; form
   * bodies redacted by key; other text kept; binary and streams described. Cut at
   * `maxBytes`. Undefined when there is no body.
   */
  capture(
    data: unknown,
    contentType: string | undefined,
    maxBytes: number,
  ): CapturedBody | undefined {
    if (data === undefined || data === null || data === '') return undefined;
    if (typeof data === 'string') return this.text(data, contentType, maxBytes);
    if (data instanceof ArrayBuffer) return this.bytes(Buffer.from(data), contentType, maxBytes);
    if (ArrayBuffer.isView(data)) {
      const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      return this.bytes(buffer, contentType, maxBytes);
    }
    if (data instanceof URLSearchParams) return this.text(data.toString(), FORM, maxBytes);
    if (isStreamLike(data)) return { text: '[stream]', bytes: undefined, truncated: false };
    if (isFormDataLike(data)) {
      return { text: '[multipart form data]', bytes: undefined, truncated: false };
    }
    if (typeof data === 'object' || typeof data === 'number' || typeof data === 'boolean') {
      return this.json(this.redactValue(data, 0), undefined, maxBytes);
    }
    return undefined;
  }

  /** A JSON value with secret keys replaced, cycles and depth bounded. */
  redactValue(value: unknown, depth: number, seen: WeakSet<object> = new WeakSet()): unknown {
    if (value === null || typeof value !== 'object') {
      // A string may carry JSON or a query string of its own (webhooks, logs, echoes).
      if (typeof value === 'string') {
        return value.includes('"') || value.includes('=') ? this.redactText(value) : value;
      }
      if (typeof value === 'bigint') return value.toString();
      if (typeof value === 'function' || typeof value === 'symbol') return undefined;
      return value;
    }
    if (depth >= MAX_DEPTH) return '[Truncated]';
    if (seen.has(value)) return '[Circular]';
    seen.add(value);
    try {
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') {
        return this.redactValue((toJSON as () => unknown).call(value), depth + 1, seen);
      }
      if (Array.isArray(value)) return value.map((item) => this.redactValue(item, depth + 1, seen));
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const v = (value as Record<string, unknown>)[key];
        setOwn(out, key, this.isSecretKey(key) ? REDACTED : this.redactValue(v, depth + 1, seen));
      }
      return out;
    } finally {
      seen.delete(value);
    }
  }

  /**
   * Secret `"key": value` members (the whole value, even an object) and `key=value` pairs
   * in text that could not be parsed: JSON too long to parse, or cut short.
   */
  redactText(text: string): string {
    let out = this.redactMembers(text, JSON_KEY, jsonValueEnd, `"${REDACTED}"`);
    if (out.includes('\\"')) {
      out = this.redactMembers(out, ESCAPED_JSON_KEY, escapedValueEnd, `\\"${REDACTED}\\"`);
    }
    return out.replace(FORM_PAIR, (match, lead: string, key: string) =>
      this.isSecretKey(decode(key)) ? `${lead}${key}=${REDACTED}` : match,
    );
  }

  private redactMembers(
    text: string,
    key: RegExp,
    valueEnd: (text: string, start: number) => number,
    replacement: string,
  ): string {
    let out = '';
    let from = 0;
    key.lastIndex = 0;
    for (let m = key.exec(text); m !== null; m = key.exec(text)) {
      const valueStart = m.index + m[0].length;
      if (valueStart < from || !this.isSecretKey(m[1]!)) continue;
      const end = valueEnd(text, valueStart);
      out += text.slice(from, valueStart) + replacement;
      from = end;
      key.lastIndex = end;
    }
    return out + text.slice(from);
  }

  private bytes(buffer: Buffer, contentType: string | undefined, maxBytes: number): CapturedBody {
    const bytes = buffer.byteLength;
    if (contentType !== undefined && !TEXTUAL_TYPE.test(contentType)) {
      return { text: `[binary, ${bytes} bytes]`, bytes, truncated: false };
    }
    if (bytes > PARSE_LIMIT_BYTES) {
      // Only the part that is kept is decoded.
      const kept = buffer.subarray(0, utf8Boundary(buffer, maxBytes)).toString('utf8');
      return { text: this.redactText(kept), bytes, truncated: true };
    }
    return this.text(buffer.toString('utf8'), contentType, maxBytes, bytes);
  }

  private text(
    text: string,
    contentType: string | undefined,
    maxBytes: number,
    bytes = Buffer.byteLength(text),
  ): CapturedBody {
    if (bytes <= PARSE_LIMIT_BYTES) {
      if (isJson(text, contentType)) {
        try {
          return this.json(this.redactValue(JSON.parse(text), 0), bytes, maxBytes);
        } catch {
          // Not JSON after all: treated as text below.
        }
      }
      if (contentType !== undefined && FORM_TYPE.test(contentType)) {
        const cut = cutUtf8(redactPairs(text, this.isSecretKey, REDACTED), maxBytes);
        return { text: cut.text, bytes, truncated: cut.truncated };
      }
    }
    const cut = cutUtf8(text, maxBytes);
    return { text: this.redactText(cut.text), bytes, truncated: cut.truncated };
  }

  private json(value: unknown, bytes: number | undefined, maxBytes: number): CapturedBody {
    const pretty = JSON.stringify(value, null, 2) ?? String(value);
    const cut = cutUtf8(pretty, maxBytes);
    return cut.truncated
      ? { text: cut.text, bytes, truncated: true }
      : { text: cut.text, bytes, truncated: false, json: value };
  }
}

function isJson(text: string, contentType: string | undefined): boolean {
  if (contentType !== undefined && /json/i.test(contentType)) return true;
  const first = text.trimStart()[0];
  return first === '{' || first === '[';
}

function isStreamLike(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (typeof (value as { pipe?: unknown }).pipe === 'function' ||
      typeof (value as { getReader?: unknown }).getReader === 'function')
  );
}

function isFormDataLike(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { append?: unknown }).append === 'function' &&
    typeof (value as { getAll?: unknown }).getAll === 'function'
  );
}
