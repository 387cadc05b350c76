import type { TracedGenAiOptions } from '../core/genai-call.interface.js';
import { TracingConfigError } from '../tracing.errors.js';

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/** Wraps a method so its call is recorded as a GenAI call on the span `@Traced()` opens. */
export type GenAiMethodWrapper = (method: AnyFunction, options: TracedGenAiOptions) => AnyFunction;

let genAiWrapper: GenAiMethodWrapper | undefined;

/**
 * Called by the genai feature when it loads: the decorator layer may not import it, and
 * `@Traced({ genAi })` is applied when a class is defined, before any module starts.
 */
export function setGenAiMethodWrapper(wrapper: GenAiMethodWrapper): void {
  genAiWrapper = wrapper;
}

/** `method` wrapped for `@Traced({ genAi })`. */
export function wrapGenAiMethod(method: AnyFunction, options: TracedGenAiOptions): AnyFunction {
  if (genAiWrapper === undefined) {
    throw new TracingConfigError(
      '@Traced(): option "genAi" needs the GenAI feature, which loads with the package entry (import from "nestjs-tracing").',
    );
  }
  return genAiWrapper(method, options);
}
