/**
 * An HTTP token (RFC 9110 §5.6.2): what a header name, and a W3C Baggage key, may be made
 * of. A name outside it makes Node throw when the header is set.
 */
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function isHttpToken(value: string): boolean {
  return HTTP_TOKEN.test(value);
}
