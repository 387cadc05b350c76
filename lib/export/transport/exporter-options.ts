/**
 * Checks shared by the log exporters' constructors. A bad option throws at start-up with
 * the exporter, the option and what was expected, as the span exporters do.
 */

import { describeValue } from '../../core/describe-value.js';
import { isHeaderValue, isHttpToken } from '../../core/http-token.js';

/** HTTP credentials: basic, bearer, or any header of your own (an API key). */
export type HttpAuth =
  | { username: string; password: string }
  | { bearerToken: string }
  | { header: string; value: string };

export function optionError(owner: string, option: string, expected: string, got: unknown): Error {
  return new Error(`${owner}: option "${option}" must be ${expected}, got ${describeValue(got)}`);
}

export function checkOptions(owner: string, options: unknown): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${owner}: options must be an object, got ${describeValue(options)}`);
  }
}

export function validateUrl(
  owner: string,
  option: string,
  value: unknown,
  example: string,
): string {
  let url: URL | undefined;
  if (typeof value === 'string') {
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw optionError(owner, option, `an http: or https: URL such as ${example}`, value);
  }
  return url.href;
}

export function validateHeaders(owner: string, value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw optionError(owner, 'headers', 'an object of header names to strings', value);
  }
  const headers: Record<string, string> = {};
  for (const [name, headerValue] of Object.entries(value)) {
    checkHeader(owner, `headers.${name}`, name, headerValue);
    headers[name.toLowerCase()] = headerValue as string;
  }
  return headers;
}

function checkHeader(owner: string, option: string, name: unknown, value: unknown): void {
  if (typeof name !== 'string' || !isHttpToken(name)) {
    throw new Error(
      `${owner}: option "${option}" has an invalid header name ${describeValue(name)}`,
    );
  }
  if (typeof value !== 'string' || !isHeaderValue(value)) {
    throw optionError(owner, option, 'a string without control characters', value);
  }
}

/** The header an auth option becomes. */
export function authHeader(owner: string, auth: unknown): Record<string, string> {
  if (auth === undefined) return {};
  if (auth !== null && typeof auth === 'object') {
    const a = auth as Record<string, unknown>;
    if (typeof a.username === 'string' && typeof a.password === 'string') {
      const basic = Buffer.from(`${a.username}:${a.password}`, 'utf8').toString('base64');
      return { authorization: `Basic ${basic}` };
    }
    if (typeof a.bearerToken === 'string' && a.bearerToken !== '') {
      checkHeader(owner, 'auth.bearerToken', 'authorization', a.bearerToken);
      return { authorization: `Bearer ${a.bearerToken}` };
    }
    if (typeof a.header === 'string' && typeof a.value === 'string') {
      checkHeader(owner, 'auth.value', a.header, a.value);
      return { [a.header.toLowerCase()]: a.value };
    }
  }
  throw optionError(
    owner,
    'auth',
    '{ username, password }, { bearerToken } or { header, value }',
    auth,
  );
}

export function positiveInteger(
  owner: string,
  option: string,
  value: unknown,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw optionError(owner, option, `an integer from 1 to ${max}`, value);
  }
  return value;
}

export function compressionOf(owner: string, value: unknown, fallback: 'gzip' | 'none') {
  if (value === undefined) return fallback;
  if (value !== 'gzip' && value !== 'none') {
    throw optionError(owner, 'compression', "'gzip' or 'none'", value);
  }
  return value;
}

export function optionalString(owner: string, option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw optionError(owner, option, 'a non-empty string', value);
  }
  return value;
}
