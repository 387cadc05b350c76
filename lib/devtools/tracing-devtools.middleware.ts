import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TracingDevtoolsService } from './tracing-devtools.service.js';

/**
 * Answers every request under the viewer's path; the rest go on untouched. Nest makes
 * its own instance of a middleware class, so the state lives in the service.
 */
@Injectable()
export class TracingDevtoolsMiddleware implements NestMiddleware {
  constructor(private readonly devtools: TracingDevtoolsService) {}

  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
    this.devtools.handle(req, res, next);
  }
}
