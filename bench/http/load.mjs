// Open-loop load at a fixed rate: requests leave at evenly spaced instants (rate per second,
// caught up every millisecond), whatever the app's answers do, over at most `connections`
// keep-alive sockets. Unlike autocannon's rate limit (each connection sends its quota for the
// second at once, then waits for the next second), the app sees a steady stream, so the p99
// latency measures the app and not the queue of a burst. Latency is from the request leaving
// to the last byte of the response. `seconds` in the result is the time from the first request
// to the last response and `lateMs` how late the last request left against its instant (the
// generator's own lag, e.g. when it shares a busy process): the rate achieved is
// requests / seconds.
import { Agent, request } from 'node:http';

/**
 * @param {string} url  base URL of the app (http://127.0.0.1:port)
 * @param {{ rate: number, seconds: number, connections: number, path: string }} opts
 * @returns {Promise<{ requests: number, errors: number, non2xx: number, p50: number, p99: number, mean: number, seconds: number, lateMs: number }>}
 */
export function drive(url, { rate, seconds, connections, path }) {
  const { hostname, port } = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const latencies = new Float64Array(total);
  let sent = 0;
  let done = 0;
  let errors = 0;
  let non2xx = 0;
  let lateMs = 0;
  let start = 0;
  return new Promise((resolve) => {
    const finish = () => {
      agent.destroy();
      const sorted = latencies.subarray(0, done - errors).toSorted();
      const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      let sum = 0;
      for (const x of sorted) sum += x;
      resolve({
        requests: done - errors,
        errors,
        non2xx,
        p50: at(0.5),
        p99: at(0.99),
        mean: sum / (sorted.length || 1),
        seconds: (performance.now() - start) / 1000,
        lateMs,
      });
    };
    const fire = () => {
      const started = performance.now();
      const req = request({ agent, hostname, port, path, method: 'GET' }, (res) => {
        if (res.statusCode < 200 || res.statusCode > 299) non2xx++;
        res.on('data', () => {});
        res.on('end', () => {
          latencies[done - errors] = performance.now() - started;
          if (++done === total) finish();
        });
      });
      req.on('error', () => {
        errors++;
        if (++done === total) finish();
      });
      req.end();
    };
    start = performance.now();
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - start) / interval) + 1);
      while (sent < due) {
        sent++;
        fire();
      }
      if (sent < total) setTimeout(tick, 1);
      else lateMs = now - start - (total - 1) * interval;
    };
    tick();
  });
}
