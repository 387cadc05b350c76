import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { TraceQuery } from './trace-store.js';

/** Reading the viewer's requests: query filters and OTLP request bodies. */

/** Largest OTLP request body read, before and after gunzip. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const gunzipAsync = promisify(gunzip);

/** A request the viewer refuses, answered with `status` and `{ error: message }`. */
export class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_FILTERS = new Set(['ok', 'error']);

export function parseQuery(params: URLSearchParams): TraceQuery {
  const query: TraceQuery = {};
  const text = (name: string): string | undefined => {
    const value = params.get(name)?.trim();
    return value ? value : undefined;
  };
  const status = text('status');
  if (status !== undefined) {
    if (!STATUS_FILTERS.has(status)) throw new BadRequest(400, 'status must be "ok" or "error"');
    query.status = status as TraceQuery['status'];
  }
  const route = text('route');
  if (route !== undefined) query.route = route;
  const correlationId = text('correlationId');
  if (correlationId !== undefined) query.correlationId = correlationId;
  const traceId = text('traceId');
  if (traceId !== undefined) query.traceId = traceId;
  const service = text('service');
  if (service !== undefined) query.service = service;
  const limit = text('limit');
  if (limit !== undefined) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1)
      throw new BadRequest(400, 'limit must be a positive integer');
    query.limit = n;
  }
  return query;
}

/**
 * The request body as JSON. Express's JSON body parser may have read it already (it runs
 * before any middleware); otherwise it is read here, gunzipped when sent so.
 */
export async function readJson(req: IncomingMessage & { body?: unknown }): Promise<unknown> {
  if (req.readableEnded) {
    const parsed = req.body;
    if (typeof parsed === 'string' || Buffer.isBuffer(parsed)) return parseJson(parsed.toString());
    if (parsed !== undefined) return parsed;
    throw new BadRequest(400, 'the request body was already read by another middleware');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(413, 'the request body is too large');
    chunks.push(buffer);
  }
  let raw = Buffer.concat(chunks);
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'gzip') {
    try {
      raw = await gunzipAsync(raw, { maxOutputLength: MAX_BODY_BYTES });
    } catch {
      throw new BadRequest(400, 'the request body is not valid gzip, or too large unzipped');
    }
  } else if (encoding !== 'identity') {
    throw new BadRequest(415, `content-encoding ${encoding} is not supported (gzip is)`);
  }
  return parseJson(raw.toString('utf8'));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest(400, 'the request body is not valid JSON');
  }
}
