import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus-format.js';
import { TracingMetricsService } from './tracing-metrics.service.js';

/** Answers the metrics path with the Prometheus text exposition (Express and Fastify). */
@Injectable()
export class TracingMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: TracingMetricsService) {}

  use(req: IncomingMessage, res: ServerResponse, _next: (error?: unknown) => void): void {
    const body = this.metrics.renderPrometheus();
    res.statusCode = 200;
    res.setHeader('content-type', PROMETHEUS_CONTENT_TYPE);
    res.setHeader('cache-control', 'no-store');
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
