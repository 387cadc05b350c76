import { Traced } from '../decorators/traced.decorator.js';

/**
 * No span for this method, or for any method of this class: the automatic
 * instrumentation and a class-level `@Traced()` leave it alone. Same as `@Traced(false)`.
 */
export function NoTrace(): ClassDecorator & MethodDecorator {
  return Traced(false);
}
