// What Node (and fetch) accept in a header value; anything else makes the request throw.
// oxlint-disable-next-line no-control-regex -- matching control characters is the point
const BAD_HEADER_VALUE = /[^\t\u0020-\u007e\u0080-\u00ff]/;

/**
 * An HTTP token (RFC 9110 §5.6.2): what a header name, and a W3C Baggage key, may be made
 * of. A name outside it makes Node throw when the header is set.
 */
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function isHttpToken(value: string): boolean {
  return HTTP_TOKEN.test(value);
}

/** Whether a request can carry `value` as a header value: no control characters but tab. */
export function isHeaderValue(value: string): boolean {
  return !BAD_HEADER_VALUE.test(value);
}
