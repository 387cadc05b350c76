const DEFAULT_MAX_LENGTH = 1024;

/** Keys whose values never leave the process, matched case-insensitively as substrings. */
const SECRET_KEY =
  /pass(word)?|secret|token|authorization|cookie|api[-_]?key|credential|private[-_]?key/i;

/**
 * JSON of a value for a span attribute: secret-looking keys redacted, cycles and
 * functions tolerated, cut to `maxLength` characters. Never throws.
 */
export function safeSerialize(value: unknown, maxLength = DEFAULT_MAX_LENGTH): string {
  const seen = new WeakSet<object>();
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (key, v: unknown) => {
      if (key !== '' && SECRET_KEY.test(key)) return '[REDACTED]';
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
