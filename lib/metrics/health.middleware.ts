import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TracingHealthService } from './tracing-health.service.js';

/** Answers the health path with the summary as JSON: 200 when healthy, 503 when not. */
@Injectable()
export class TracingHealthMiddleware implements NestMiddleware {
  constructor(private readonly health: TracingHealthService) {}

  use(req: IncomingMessage, res: ServerResponse, _next: (error?: unknown) => void): void {
    const summary = this.health.getSummary();
    const body = JSON.stringify(summary);
    res.statusCode = summary.healthy ? 200 : 503;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
