import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  INVALID_SPAN_ID,
  INVALID_TRACE_ID,
  RandomIdGenerator,
  isValidSpanId,
  isValidTraceId,
} from '../../../lib/core/id-generator.js';

const TRACE_ID_RE = /^[0-9a-f]{32}$/;
const SPAN_ID_RE = /^[0-9a-f]{16}$/;

/** A fresh id-generator module whose random pool fills come from `pools`, then real randomness. */
async function generatorWithPools(pools: ((buffer: Buffer) => void)[]) {
  vi.resetModules();
  const fills: Buffer[] = [];
  vi.doMock('node:crypto', async (importOriginal) => {
    const actual = await importOriginal<typeof import('node:crypto')>();
    return {
      ...actual,
      randomFillSync: (buffer: Buffer) => {
        const fill = pools[fills.length] ?? ((b: Buffer) => actual.randomFillSync(b));
        fill(buffer);
        fills.push(Buffer.from(buffer));
        return buffer;
      },
    };
  });
  const mod = await import('../../../lib/core/id-generator.js');
  return { generator: new mod.RandomIdGenerator(), fills };
}

describe('RandomIdGenerator', () => {
  it('makes trace ids of 32 lowercase hex characters that are not all zero', () => {
    const ids = new RandomIdGenerator();
    for (let i = 0; i < 200; i++) {
      const id = ids.generateTraceId();
      expect(id).toMatch(TRACE_ID_RE);
      expect(id).not.toBe(INVALID_TRACE_ID);
      expect(isValidTraceId(id)).toBe(true);
    }
  });

  it('makes span ids of 16 lowercase hex characters that are not all zero', () => {
    const ids = new RandomIdGenerator();
    for (let i = 0; i < 200; i++) {
      const id = ids.generateSpanId();
      expect(id).toMatch(SPAN_ID_RE);
      expect(id).not.toBe(INVALID_SPAN_ID);
      expect(isValidSpanId(id)).toBe(true);
    }
  });

  it('keeps making valid, unique ids across many refills of its random pool', () => {
    const ids = new RandomIdGenerator();
    const traceIds = new Set<string>();
    const spanIds = new Set<string>();
    // 10k trace ids alone are 160 kB: dozens of 4 kB pool refills, interleaved with span ids
    // so refills also happen at offsets that are not a multiple of 16.
    for (let i = 0; i < 10_000; i++) {
      const traceId = ids.generateTraceId();
      const spanId = ids.generateSpanId();
      expect(TRACE_ID_RE.test(traceId)).toBe(true);
      expect(SPAN_ID_RE.test(spanId)).toBe(true);
      traceIds.add(traceId);
      spanIds.add(spanId);
    }
    expect(traceIds.size).toBe(10_000);
    expect(spanIds.size).toBe(10_000);
  });

  it('uses every hex digit, so the ids are not drawn from a narrow alphabet', () => {
    const ids = new RandomIdGenerator();
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) for (const c of ids.generateTraceId()) seen.add(c);
    expect([...seen].toSorted().join('')).toBe('0123456789abcdef');
  });

  describe('with a random source that yields zero bytes', () => {
    afterEach(() => {
      vi.doUnmock('node:crypto');
      vi.resetModules();
    });

    it('skips an all-zero trace id and returns the next bytes of the pool', async () => {
      const { generator, fills } = await generatorWithPools([
        (buffer) => {
          buffer.fill(0, 0, 16);
          for (let i = 16; i < buffer.length; i++) buffer[i] = i & 0xff;
        },
      ]);
      const id = generator.generateTraceId();
      expect(id).toBe(fills[0]!.subarray(16, 32).toString('hex'));
      expect(isValidTraceId(id)).toBe(true);
    });

    it('refills the pool rather than return a zero span id when the whole pool is zero', async () => {
      const { generator, fills } = await generatorWithPools([(buffer) => buffer.fill(0)]);
      const id = generator.generateSpanId();
      expect(fills).toHaveLength(2);
      expect(id).toBe(fills[1]!.subarray(0, 8).toString('hex'));
      expect(isValidSpanId(id)).toBe(true);
    });
  });
});

describe('isValidTraceId', () => {
  it('accepts 32 lowercase hex characters', () => {
    expect(isValidTraceId('4bf92f3577b34da6a3ce929d0e0e4736')).toBe(true);
    expect(isValidTraceId('00000000000000000000000000000001')).toBe(true);
  });

  it('rejects uppercase hex', () => {
    expect(isValidTraceId('4BF92F3577B34DA6A3CE929D0E0E4736')).toBe(false);
    expect(isValidTraceId('4bf92f3577b34da6a3ce929d0e0e473A')).toBe(false);
  });

  it('rejects ids of the wrong length', () => {
    expect(isValidTraceId('4bf92f3577b34da6a3ce929d0e0e473')).toBe(false);
    expect(isValidTraceId('4bf92f3577b34da6a3ce929d0e0e47360')).toBe(false);
    expect(isValidTraceId('00f067aa0ba902b7')).toBe(false);
    expect(isValidTraceId('')).toBe(false);
  });

  it('rejects the all-zero id and non-hex characters', () => {
    expect(isValidTraceId('00000000000000000000000000000000')).toBe(false);
    expect(isValidTraceId('4bf92f3577b34da6a3ce929d0e0e473g')).toBe(false);
    expect(isValidTraceId('4bf92f3577b34da6-3ce929d0e0e4736')).toBe(false);
  });

  it('rejects a valid id with a trailing newline', () => {
    expect(isValidTraceId('4bf92f3577b34da6a3ce929d0e0e4736\n')).toBe(false);
  });
});

describe('isValidSpanId', () => {
  it('accepts 16 lowercase hex characters', () => {
    expect(isValidSpanId('00f067aa0ba902b7')).toBe(true);
  });

  it('rejects uppercase hex', () => {
    expect(isValidSpanId('00F067AA0BA902B7')).toBe(false);
  });

  it('rejects ids of the wrong length', () => {
    expect(isValidSpanId('00f067aa0ba902b')).toBe(false);
    expect(isValidSpanId('00f067aa0ba902b70')).toBe(false);
    expect(isValidSpanId('4bf92f3577b34da6a3ce929d0e0e4736')).toBe(false);
    expect(isValidSpanId('')).toBe(false);
  });

  it('rejects the all-zero id', () => {
    expect(isValidSpanId('0000000000000000')).toBe(false);
    expect(isValidSpanId(INVALID_SPAN_ID)).toBe(false);
  });
});
