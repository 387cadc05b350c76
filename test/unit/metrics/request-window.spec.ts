import { describe, expect, it } from 'vitest';
import { RequestWindow } from '../../../lib/metrics/request-window.js';

describe('RequestWindow', () => {
  it('gives error rate, average latency and trace count of what ended in the window', () => {
    const w = new RequestWindow(60_000);
    const t = 1_000_000;
    w.recordRequest(t, 10, false);
    w.recordRequest(t + 1, 30, true);
    w.recordRequest(t + 2, 20, false);
    w.recordRequest(t + 3, 40, true);
    w.recordTrace(t);
    w.recordTrace(t + 3);
    expect(w.stats(t + 10)).toMatchObject({
      requests: 4,
      errors: 2,
      errorRate: 0.5,
      averageLatencyMs: 25,
      traces: 2,
    });
  });

  it('estimates p95 within 10% over a wide spread of latencies, never above the maximum', () => {
    const w = new RequestWindow(60_000);
    const t = 5_000;
    for (let i = 1; i <= 1000; i++) w.recordRequest(t, i, false);
    const p95 = w.stats(t).p95LatencyMs;
    expect(Math.abs(p95 - 950) / 950).toBeLessThan(0.1);
    const single = new RequestWindow(60_000);
    single.recordRequest(t, 7.3, false);
    expect(single.stats(t).p95LatencyMs).toBeLessThanOrEqual(7.3);
    expect(single.stats(t).p95LatencyMs).toBeGreaterThan(7.3 / 1.1);
  });

  it('estimates p95 from the slow tail when most requests are fast', () => {
    const w = new RequestWindow(60_000);
    for (let i = 0; i < 90; i++) w.recordRequest(0, 2, false);
    for (let i = 0; i < 10; i++) w.recordRequest(0, 800, false);
    const p95 = w.stats(0).p95LatencyMs;
    expect(p95).toBeGreaterThan(800 / 1.1);
    expect(p95).toBeLessThanOrEqual(800);
  });

  it('forgets what ended more than a window ago, slot by slot', () => {
    const w = new RequestWindow(12_000); // 12 slots of 1 s
    w.recordRequest(500, 5, true);
    w.recordRequest(6_500, 5, false);
    w.recordTrace(6_500);
    expect(w.stats(11_900)).toMatchObject({ requests: 2, errors: 1 });
    // At 12.5 s the slot of 0-1 s has left the window; 6-7 s is still in it.
    expect(w.stats(12_500)).toMatchObject({ requests: 1, errors: 0, errorRate: 0, traces: 1 });
    // A slot reused for a later period starts empty.
    w.recordRequest(12_600, 50, false);
    expect(w.stats(12_700)).toMatchObject({ requests: 2, averageLatencyMs: 27.5 });
    expect(w.stats(100_000)).toMatchObject({
      requests: 0,
      errorRate: 0,
      p95LatencyMs: 0,
      traces: 0,
    });
  });

  it('answers zeros when nothing happened', () => {
    expect(new RequestWindow().stats()).toEqual({
      requests: 0,
      errors: 0,
      errorRate: 0,
      averageLatencyMs: 0,
      p95LatencyMs: 0,
      traces: 0,
    });
  });
});
