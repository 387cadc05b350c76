import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runWithContext } from '../core/trace-context.js';
import { Tracer } from '../core/tracer.js';
import { TRACING_CONFIG } from '../tracing.internal-constants.js';
import { beginHttpRequest, getRequestState } from '../server/http-request.js';
import type { ResolvedTracingConfig } from '../config/tracing-config.js';

/**
 * Opens the request's context before any other middleware, guard, pipe or filter runs,
 * so they all see the same correlation id and server span. TracingModule applies it to
 * every route on adapters other than Express and Fastify, which are traced from their own
 * hooks (http-platform.ts); it can also be applied by hand to chosen routes.
 */
@Injectable()
export class TracingContextMiddleware implements NestMiddleware {
  constructor(
    @Inject(TRACING_CONFIG) private readonly config: ResolvedTracingConfig,
    private readonly tracer: Tracer,
  ) {}

  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
    if (!this.config.enabled) return next();
    const state = getRequestState(req) ?? beginHttpRequest(req, res, this.tracer, this.config);
    runWithContext(state.context, next);
  }
}
