import type { Attributes } from '../core/types.js';
import { REDACTED, Redactor } from '../core/redaction/redaction.js';
import { toLogError, type LogFields } from '../core/log-record.js';

/** An HTTP credential pasted into a field: `Bearer …`, `Basic …`. */
const CREDENTIAL_VALUE = /^\s*(bearer|basic|digest|negotiate)\s+\S{8,}/i;

/**
 * Redacts secrets in log fields, by the rules @Traced() arguments and HTTP records use:
 * keys that look secret (password, token, secret, api key, authorization, cookie…) plus
 * the user's own keys, and values that are HTTP credentials. Numbers under a secret-looking
 * key are kept: `max_tokens` is a count, not a credential.
 */
export class FieldRedactor {
  private readonly redactor: Redactor;
  private readonly boundCache = new WeakMap<object, Readonly<LogFields>>();

  constructor(extraKeys: readonly string[] = []) {
    this.redactor = new Redactor({ bodyKeys: extraKeys });
  }

  isSecretKey(key: string): boolean {
    return this.redactor.isSecretBodyKey(key);
  }

  /**
   * Fields bound to a context (flat attribute values). A context's fields never change,
   * so the redacted copy is cached per object and most lines pay one WeakMap lookup.
   */
  bound(fields: Readonly<Attributes>): Readonly<LogFields> {
    let out = this.boundCache.get(fields);
    if (out === undefined) {
      out = this.flat(fields);
      this.boundCache.set(fields, out);
    }
    return out;
  }

  /** Attribute-like fields (strings, numbers, booleans, arrays of them) redacted by key and value. */
  flat(fields: Readonly<Record<string, unknown>>): LogFields {
    let out: LogFields | undefined;
    for (const key of Object.keys(fields)) {
      const value = fields[key];
      if (!this.isSecretValue(key, value)) continue;
      out ??= { ...fields };
      out[key] = REDACTED;
    }
    return out ?? fields;
  }

  /** A call's own fields, which may nest: redacted by key at every depth, cycles and depth bounded. */
  nested(fields: Readonly<Record<string, unknown>>): LogFields {
    const out: LogFields = {};
    for (const key of Object.keys(fields)) {
      const value = fields[key];
      if (value === undefined) continue;
      const redacted = this.isSecretValue(key, value)
        ? REDACTED
        : value instanceof Error
          ? // An Error's own keys are usually none: keep what a reader needs.
            toLogError(value)
          : typeof value === 'object' && value !== null
            ? this.redactor.redactValue(value, 1)
            : value;
      if (key === '__proto__') {
        Object.defineProperty(out, key, { value: redacted, enumerable: true, writable: true });
      } else out[key] = redacted;
    }
    return out;
  }

  private isSecretValue(key: string, value: unknown): boolean {
    if (typeof value === 'string') {
      return this.isSecretKey(key) || CREDENTIAL_VALUE.test(value);
    }
    if (typeof value !== 'object' || value === null || !this.isSecretKey(key)) return false;
    // A list of counts under a secret-looking key is still counts.
    return !Array.isArray(value) || value.some((item) => typeof item !== 'number');
  }
}
