/** What replaces a secret header or body value. */
export const REDACTED = '[REDACTED]';
/** What replaces a secret query value or URL credential (the OpenTelemetry convention). */
export const REDACTED_URL_PART = 'REDACTED';
