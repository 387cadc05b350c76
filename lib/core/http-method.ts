/** The methods OpenTelemetry's HTTP semantic conventions name; any other is `_OTHER`. */
const KNOWN_HTTP_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'QUERY',
]);

/** The `http.request.method` value for an upper-case method: itself when known, else `_OTHER`. */
export function httpMethodOf(rawMethod: string): string {
  return KNOWN_HTTP_METHODS.has(rawMethod) ? rawMethod : '_OTHER';
}
