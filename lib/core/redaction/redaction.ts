import type { Attributes } from '../types.js';
import { isSecretName } from '../secret-names.js';
import { BodyRedactor, type CapturedBody } from './body-redaction.js';
import { decode, redactPairs, secretParts, setOwn } from './redaction-text.js';
import { REDACTED, REDACTED_URL_PART } from './redaction-marks.js';

// Shared with lib/logging, which redacts log fields by the same rules.
export { REDACTED, REDACTED_URL_PART } from './redaction-marks.js';
export { cutUtf8 } from './redaction-text.js';
export type { CapturedBody } from './body-redaction.js';

export const DEFAULT_REDACTED_HEADERS: readonly string[] = Object.freeze([
  'authorization',
  'cookie',
  'set-cookie',
  'proxy-authorization',
  'x-api-key',
]);

/** Query keys the OpenTelemetry HTTP conventions redact in `url.full` by default. */
export const DEFAULT_REDACTED_QUERY_PARAMS: readonly string[] = Object.freeze([
  'AWSAccessKeyId',
  'Signature',
  'sig',
  'X-Goog-Signature',
]);

export interface RedactionRules {
  readonly headers: readonly string[];
  readonly queryParams: readonly string[];
  readonly bodyKeys: readonly string[];
}

/** A URL as it may be recorded, with what it is made of. */
export interface RedactedUrl {
  readonly full: string;
  readonly scheme: string | undefined;
  readonly address: string | undefined;
  readonly port: number | undefined;
  /** The values that were removed, so error messages can be scrubbed of them too. */
  readonly secrets: readonly string[];
}

/** Redacts headers, URLs and bodies by one set of rules. Pure: no I/O, never throws. */
export class Redactor {
  private readonly headerNames: ReadonlySet<string>;
  private readonly queryNames: ReadonlySet<string>;
  private readonly bodyKeys: ReadonlySet<string>;
  private readonly bodies = new BodyRedactor((key) => this.isSecretBodyKey(key));

  constructor(rules: Partial<RedactionRules> = {}) {
    this.headerNames = lowerSet([...DEFAULT_REDACTED_HEADERS, ...(rules.headers ?? [])]);
    this.queryNames = lowerSet([...DEFAULT_REDACTED_QUERY_PARAMS, ...(rules.queryParams ?? [])]);
    this.bodyKeys = lowerSet(rules.bodyKeys ?? []);
  }

  isSecretHeader(name: string): boolean {
    return this.headerNames.has(name.toLowerCase()) || isSecretName(name);
  }

  isSecretQueryParam(name: string): boolean {
    return this.queryNames.has(name.toLowerCase()) || isSecretName(name);
  }

  isSecretBodyKey(key: string): boolean {
    return isSecretName(key) || (this.bodyKeys.size > 0 && this.bodyKeys.has(key.toLowerCase()));
  }

  /**
   * Headers as lowercase name → value (repeated values joined with ', '), secret values
   * replaced; the removed values are pushed onto `secrets`.
   */
  headers(input: unknown, secrets?: string[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, raw] of headerEntries(input)) {
      const value = headerValue(raw);
      if (value === undefined) continue;
      const key = name.toLowerCase();
      if (this.isSecretHeader(key)) {
        secrets?.push(...secretParts(value));
        setOwn(out, key, REDACTED);
      } else {
        setOwn(out, key, value);
      }
    }
    return out;
  }

  /** The URL with credentials and secret query values replaced, and its parts. */
  url(raw: string): RedactedUrl {
    const secrets: string[] = [];
    let parsed: URL | undefined;
    try {
      parsed = new URL(raw);
    } catch {
      // A relative URL (no baseURL): redact what can be found in the text.
    }
    if (parsed === undefined) {
      const q = raw.indexOf('?');
      const full = q === -1 ? raw : raw.slice(0, q) + this.query(raw.slice(q), secrets);
      return { full, scheme: undefined, address: undefined, port: undefined, secrets };
    }
    if (parsed.username !== '' || parsed.password !== '') {
      secrets.push(
        ...secretParts(decode(parsed.username)),
        ...secretParts(decode(parsed.password)),
      );
      parsed.username = REDACTED_URL_PART;
      parsed.password = REDACTED_URL_PART;
    }
    const search = parsed.search;
    parsed.search = '';
    parsed.hash = '';
    const scheme = parsed.protocol.slice(0, -1);
    const host = parsed.hostname;
    return {
      full: search === '' ? parsed.href : parsed.href + this.query(search, secrets),
      scheme,
      address: host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host,
      port: parsed.port !== '' ? Number(parsed.port) : defaultPort(scheme),
      secrets,
    };
  }

  /** `?a=1&token=x` → `?a=1&token=REDACTED`; everything else is kept byte for byte. */
  query(search: string, secrets?: string[]): string {
    const lead = search.startsWith('?') ? '?' : '';
    const rest = lead ? search.slice(1) : search;
    return lead + redactPairs(rest, (k) => this.isSecretQueryParam(k), REDACTED_URL_PART, secrets);
  }

  /** A body as it may be recorded (see BodyRedactor.capture). */
  body(data: unknown, contentType: string | undefined, maxBytes: number): CapturedBody | undefined {
    return this.bodies.capture(data, contentType, maxBytes);
  }

  /** A JSON value with secret body keys replaced (see BodyRedactor.redactValue). */
  redactValue(value: unknown, depth = 0): unknown {
    return this.bodies.redactValue(value, depth);
  }

  /** Secret members and pairs in text that could not be parsed (see BodyRedactor.redactText). */
  redactText(text: string): string {
    return this.bodies.redactText(text);
  }
}

/**
 * Replaces every occurrence of the given secret values in `text` (an error message that
 * quotes a URL or header, say). Values shorter than 4 characters are left alone.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** `attributes` with every string value scrubbed of `secrets` (an exception event's message). */
export function scrubAttributes(attributes: Attributes, secrets: readonly string[]): Attributes {
  if (secrets.length === 0) return attributes;
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    out[key] = typeof value === 'string' ? scrubSecrets(value, secrets) : value;
  }
  return out;
}

function headerEntries(input: unknown): Iterable<[string, unknown]> {
  if (input === null || typeof input !== 'object') return [];
  // AxiosHeaders, Map and Headers iterate as [name, value]; plain objects do not.
  if (Symbol.iterator in input && !Array.isArray(input)) {
    return input as Iterable<[string, unknown]>;
  }
  return Object.entries(input as Record<string, unknown>);
}

function headerValue(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  if (Array.isArray(raw)) return raw.map(String).join(', ');
  return undefined;
}

function defaultPort(scheme: string): number | undefined {
  if (scheme === 'http' || scheme === 'ws') return 80;
  if (scheme === 'https' || scheme === 'wss') return 443;
  return undefined;
}

function lowerSet(names: readonly string[]): Set<string> {
  return new Set(names.map((n) => n.toLowerCase()));
}
