/**
 * What `TracedHttpService` records about each outgoing call, beyond the span itself.
 * Every option is optional; secrets are redacted whatever is set here.
 */
export interface HttpTracingOptions {
  /**
   * Header names whose values are recorded as `[REDACTED]`, matched case-insensitively,
   * in addition to `authorization`, `cookie`, `set-cookie`, `proxy-authorization`,
   * `x-api-key` and any name that looks secret (`*token*`, `*secret*`, `*password*`, ...).
   * @default []
   */
  redactHeaders?: string[];
  /**
   * Query parameters whose values are recorded as `REDACTED` in `url.full` and in records,
   * in addition to `AWSAccessKeyId`, `Signature`, `sig`, `X-Goog-Signature` and any name
   * that looks secret. Case-insensitive.
   * @default []
   */
  redactQueryParams?: string[];
  /**
   * JSON and form body keys whose values are recorded as `[REDACTED]`, in addition to keys
   * that look secret (`password`, `token`, `apiKey`, `secret`, `cookie`, ...).
   * @default []
   */
  redactBodyKeys?: string[];
  /** Record request and response bodies in records and on the span. @default false */
  recordBodies?: boolean;
  /** Most bytes of each recorded body; JSON bodies are pretty-printed first. @default 4096 */
  maxBodyBytes?: number;
  /**
   * Put the (redacted) request and response headers on the span as
   * `http.request.header.<name>` / `http.response.header.<name>`, at most 32 each way.
   * @default true
   */
  spanHeaders?: boolean;
  /**
   * The ring of recent request records (`HttpRequestRecords`); `false` keeps none.
   * @default { max: 100 }
   */
  records?: { max?: number } | false;
  /**
   * Write every complete request and response, redacted, as one JSON file per call into
   * `dir` (created if missing). For debugging: bodies are included whatever
   * `recordBodies` says, up to `maxBodyBytes` (default 1 MiB) each.
   * @default undefined (off)
   */
  verbose?: { dir: string; maxBodyBytes?: number };
}
