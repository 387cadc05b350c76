import type { AttributeValue, Attributes, AttributesInput, SpanLimits } from './types.js';

function truncate(value: string, limit: number): string {
  return value.length > limit ? value.slice(0, limit) : value;
}

/**
 * Returns the value as it may be stored, or undefined when it is not a valid
 * attribute value (objects, mixed arrays, null). Strings are cut to the limit.
 */
export function sanitizeAttributeValue(
  value: unknown,
  lengthLimit: number,
): AttributeValue | undefined {
  switch (typeof value) {
    case 'string':
      return truncate(value, lengthLimit);
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object':
      if (!Array.isArray(value)) return undefined;
      return sanitizeArray(value, lengthLimit);
    default:
      return undefined;
  }
}

function sanitizeArray(value: readonly unknown[], lengthLimit: number): AttributeValue | undefined {
  // OTel requires homogeneous arrays; null/undefined items are allowed and kept as-is by
  // the SDK, but here they are dropped to keep the wire types simple.
  let kind: string | undefined;
  const out: (string | number | boolean)[] = [];
  for (const item of value) {
    if (item === null || item === undefined) continue;
    const t = typeof item;
    if (t !== 'string' && t !== 'number' && t !== 'boolean') return undefined;
    if (kind === undefined) kind = t;
    else if (kind !== t) return undefined;
    out.push(t === 'string' ? truncate(item as string, lengthLimit) : (item as number | boolean));
  }
  return out as AttributeValue;
}

/**
 * Copies valid attributes into a fresh object within the limits; returns the object
 * and how many were dropped.
 */
export function limitAttributes(
  input: AttributesInput | undefined,
  limits: SpanLimits,
): { attributes: Attributes; dropped: number } {
  const attributes: Attributes = {};
  let count = 0;
  let dropped = 0;
  if (input) {
    for (const key in input) {
      const value = sanitizeAttributeValue(input[key], limits.attributeValueLengthLimit);
      if (value === undefined) continue;
      if (count >= limits.attributeCountLimit) {
        dropped++;
        continue;
      }
      setOwn(attributes, key, value);
      count++;
    }
  }
  return { attributes, dropped };
}

/** Stores a key as an own property, even `__proto__`, which plain assignment would not. */
export function setOwn(attributes: Attributes, key: string, value: AttributeValue): void {
  if (key === '__proto__') {
    Object.defineProperty(attributes, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    attributes[key] = value;
  }
}
