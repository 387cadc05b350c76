import { createParamDecorator } from '@nestjs/common';
import { NOOP_SPAN } from '../core/non-recording-span.js';
import { activeContext } from '../core/trace-context.js';

/** Injects the active span (a no-op span outside any) into a handler parameter. */
export const CurrentSpan = createParamDecorator(() => activeContext().span ?? NOOP_SPAN);

/** Injects the request's correlation id into a handler parameter. */
export const CorrelationId = createParamDecorator(() => activeContext().correlationId);
