import { randomFillSync } from 'node:crypto';

/** Makes trace and span ids. Replaceable so tests can use fixed ids. */
export interface IdGenerator {
  generateTraceId(): string;
  generateSpanId(): string;
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push((i < 16 ? '0' : '') + i.toString(16));

// One randomFillSync call serves 512 span ids: the syscall, not the hex work, is
// what costs, so ids are cut from a pooled buffer.
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

function hex(bytes: number): string {
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  let out = '';
  const end = offset + bytes;
  let nonZero = 0;
  for (let i = offset; i < end; i++) {
    const b = pool[i]!;
    nonZero |= b;
    out += HEX[b];
  }
  offset = end;
  // All-zero ids are invalid in W3C Trace Context; the odds are 2^-64 but cost nothing to rule out.
  return nonZero === 0 ? hex(bytes) : out;
}

/** Cryptographically random ids: 16-byte trace ids and 8-byte span ids, never all zero. */
export class RandomIdGenerator implements IdGenerator {
  generateTraceId(): string {
    return hex(16);
  }

  generateSpanId(): string {
    return hex(8);
  }
}

const TRACE_ID_RE = /^[0-9a-f]{32}$/;
const SPAN_ID_RE = /^[0-9a-f]{16}$/;
const ZERO_TRACE_ID = '00000000000000000000000000000000';
const ZERO_SPAN_ID = '0000000000000000';

export function isValidTraceId(id: string): boolean {
  return TRACE_ID_RE.test(id) && id !== ZERO_TRACE_ID;
}

export function isValidSpanId(id: string): boolean {
  return SPAN_ID_RE.test(id) && id !== ZERO_SPAN_ID;
}

export const INVALID_TRACE_ID = ZERO_TRACE_ID;
export const INVALID_SPAN_ID = ZERO_SPAN_ID;
