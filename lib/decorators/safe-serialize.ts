import { isSecretName } from '../core/secret-names.js';
import type { SecretArgumentPositions } from './parameter-names.js';

const DEFAULT_MAX_LENGTH = 1024;
const REDACTED = '[REDACTED]';

/**
 * A call's arguments as a JSON array for `code.function.arguments`: positions whose
 * parameter name looks secret replaced whole, secret-looking keys redacted at any depth.
 */
export function serializeArguments(
  args: ArrayLike<unknown>,
  secret: SecretArgumentPositions | undefined,
): string {
  const values = Array.from(args);
  if (secret !== undefined) {
    for (let i = 0; i < values.length; i++) {
      const rest = secret.restFrom !== undefined && i >= secret.restFrom;
      if (rest || secret.positions[i] === true) values[i] = REDACTED;
    }
  }
  return safeSerialize(values);
}

/**
 * JSON of a value for a span attribute: secret-looking keys redacted, cycles and
 * functions tolerated, cut to `maxLength` characters. Never throws.
 */
export function safeSerialize(value: unknown, maxLength = DEFAULT_MAX_LENGTH): string {
  const seen = new WeakSet<object>();
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (key, v: unknown) => {
      if (key !== '' && isSecretName(key)) return REDACTED;
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'function') return `[Function ${v.name || 'anonymous'}]`;
      if (v instanceof Error) return { name: v.name, message: v.message };
      if (v !== null && typeof v === 'object') {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
      }
      return v;
    });
  } catch {
    text = '[Unserializable]';
  }
  if (text === undefined) text = String(value);
  return text.length > maxLength ? `${text.slice(0, maxLength)}…[truncated]` : text;
}
