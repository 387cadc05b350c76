import { optionKeys } from '../config/option-keys.js';
import { TRACED_METADATA } from '../tracing.constants.js';
import { rejectUnknownOptions } from '../tracing.errors.js';
import { wrapMethod } from './traced-method.js';
import type { TracedOptions } from './traced-options.js';

export type { TracedOptions } from './traced-options.js';

const TRACED_KEYS = optionKeys<TracedOptions>({
  name: true,
  kind: true,
  attributes: true,
  recordArguments: true,
  recordResult: true,
  genAi: true,
});

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Turns each call of a method (or of every own method of a class) into a span. The
 * method behaves as before: same result, same error, same `this`; sync stays sync, a
 * Promise stays a Promise, an Observable stays lazy with one span per subscription, and
 * generators get one span per iteration.
 */
export function Traced(
  name?: string,
  options?: Omit<TracedOptions, 'name'>,
): ClassDecorator & MethodDecorator;
export function Traced(options: TracedOptions): ClassDecorator & MethodDecorator;
/** `@Traced(false)`: no span for this method or class, from `@Traced()` or the instrumentation. */
export function Traced(enabled: false): ClassDecorator & MethodDecorator;
export function Traced(
  nameOrOptions?: string | TracedOptions | false,
  maybeOptions?: Omit<TracedOptions, 'name'>,
): ClassDecorator & MethodDecorator {
  if (nameOrOptions === false) return markUntraced as ClassDecorator & MethodDecorator;
  const options: TracedOptions =
    typeof nameOrOptions === 'string'
      ? { ...maybeOptions, name: nameOrOptions }
      : { ...nameOrOptions };
  // Checked when the class is defined, never per call.
  rejectUnknownOptions(options, '', TRACED_KEYS, '@Traced()');
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (key === undefined) {
      traceClass(target as Function, options);
      return;
    }
    if (!descriptor || typeof descriptor.value !== 'function') return descriptor;
    const owner = typeof target === 'function' ? target : target.constructor;
    descriptor.value = wrapMethod(
      descriptor.value as AnyFunction,
      owner.name,
      String(key),
      options,
    );
    return descriptor;
  }) as ClassDecorator & MethodDecorator;
}

// TRACED_METADATA `false` opts out; a class-level @Traced() skips such a method as it
// skips one with its own @Traced().
function markUntraced(target: object, key?: string | symbol, descriptor?: PropertyDescriptor) {
  if (key === undefined) Reflect.defineMetadata(TRACED_METADATA, false, target);
  else if (descriptor && typeof descriptor.value === 'function') {
    Reflect.defineMetadata(TRACED_METADATA, false, descriptor.value as object);
  }
  return descriptor;
}

function traceClass(ctor: Function, options: TracedOptions): void {
  const proto = ctor.prototype as Record<string, unknown>;
  for (const key of Object.getOwnPropertyNames(proto)) {
    if (key === 'constructor') continue;
    const descriptor = Object.getOwnPropertyDescriptor(proto, key);
    // Accessors and already-traced methods (a method's own @Traced wins) are left alone.
    if (!descriptor || typeof descriptor.value !== 'function') continue;
    if (Reflect.hasOwnMetadata(TRACED_METADATA, descriptor.value as object)) continue;
    const { name: _ignored, ...rest } = options;
    descriptor.value = wrapMethod(descriptor.value as AnyFunction, ctor.name, key, rest);
    Object.defineProperty(proto, key, descriptor);
  }
}
