import type { LogRecord } from '../../core/log-record.js';
import {
  authHeader,
  checkOptions,
  compressionOf,
  optionalString,
  optionError,
  positiveInteger,
  validateHeaders,
  validateUrl,
} from '../transport/exporter-options.js';
import { HttpLogExporter } from './http-log-exporter.js';
import {
  encodeLokiPush,
  LOKI_LABEL_NAME,
  LOKI_LIMITS,
  type LokiFormatOptions,
  type LokiLimits,
} from './loki-log-format.js';

export interface LokiLogExporterOptions {
  /**
   * Loki's push URL, or its base URL (`http://loki:3100`, to which `/loki/api/v1/push`
   * is added). @default 'http://localhost:3100/loki/api/v1/push'
   */
  url?: string;
  /** Static stream labels besides service, environment and level. Keep them few and fixed. */
  labels?: Record<string, string>;
  /** The tenant of a multi-tenant Loki (Grafana Cloud: the user id), sent as `X-Scope-OrgID`. */
  tenantId?: string;
  /** Basic auth (Grafana Cloud: user id and API token) or a bearer token. */
  auth?: { username: string; password: string } | { bearerToken: string };
  headers?: Record<string, string>;
  /** @default 'none' */
  compression?: 'gzip' | 'none';
  /** Per-request deadline in ms. @default 10000 */
  timeoutMs?: number;
  /** Largest push body before a batch is split. @default 1048576 */
  maxRequestBytes?: number;
  /** Longest line; longer ones are cut. @default 256000 */
  maxLineBytes?: number;
}

export const DEFAULT_LOKI_URL = 'http://localhost:3100/loki/api/v1/push';
const PUSH_PATH = '/loki/api/v1/push';
const OWNER = 'LokiLogExporter';

/** Ships log records to Grafana Loki's push API as JSON lines in labelled streams. */
export class LokiLogExporter extends HttpLogExporter {
  private readonly format: LokiFormatOptions;
  private readonly limits: LokiLimits;

  constructor(options: LokiLogExporterOptions = {}) {
    checkOptions(OWNER, options);
    const given = new URL(
      validateUrl(OWNER, 'url', options.url ?? DEFAULT_LOKI_URL, DEFAULT_LOKI_URL),
    );
    if (given.pathname === '/' || given.pathname === '') given.pathname = PUSH_PATH;
    const headers = validateHeaders(OWNER, options.headers);
    const tenantId = optionalString(OWNER, 'tenantId', options.tenantId);
    if (tenantId !== undefined) headers['x-scope-orgid'] = tenantId;
    if (options.auth !== undefined && 'header' in (options.auth as object)) {
      throw optionError(OWNER, 'auth', '{ username, password } or { bearerToken }', options.auth);
    }
    Object.assign(headers, authHeader(OWNER, options.auth));
    super(OWNER, {
      url: given.href,
      headers,
      timeoutMs: positiveInteger(OWNER, 'timeoutMs', options.timeoutMs, 10_000),
      compression: compressionOf(OWNER, options.compression, 'none'),
      contentType: 'application/json',
    });
    this.format = { labels: validateLabels(options.labels) };
    this.limits = {
      maxRequestBytes: positiveInteger(
        OWNER,
        'maxRequestBytes',
        options.maxRequestBytes,
        LOKI_LIMITS.maxRequestBytes,
      ),
      maxLineBytes: positiveInteger(
        OWNER,
        'maxLineBytes',
        options.maxLineBytes,
        LOKI_LIMITS.maxLineBytes,
      ),
    };
  }

  protected encode(records: readonly LogRecord[]): string[] {
    return encodeLokiPush(records, this.format, this.limits);
  }
}

const OWN_LABELS = new Set(['service', 'environment', 'level']);

function validateLabels(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw optionError(OWNER, 'labels', 'an object of label names to strings', value);
  }
  const labels: Record<string, string> = {};
  for (const [name, labelValue] of Object.entries(value)) {
    if (!LOKI_LABEL_NAME.test(name) || name.startsWith('__') || OWN_LABELS.has(name)) {
      throw optionError(
        OWNER,
        `labels.${name}`,
        'a label name of letters, digits and _ (not starting with __, and not service, environment or level)',
        name,
      );
    }
    if (typeof labelValue !== 'string') {
      throw optionError(OWNER, `labels.${name}`, 'a string', labelValue);
    }
    labels[name] = labelValue;
  }
  return labels;
}
