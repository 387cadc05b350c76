import type { ReadableSpan } from '../core/types.js';

/** The rules after defaults; `threshold: Infinity` turns collapsing off. */
export interface CollapseRules {
  readonly threshold: number;
  readonly keep: number;
  readonly keepOnlyRoot: ((root: ReadableSpan) => boolean) | undefined;
  readonly maxSpansPerTrace: number;
  readonly maxHeldSpans: number;
  readonly maxHoldMs: number;
}

/** Where a CollapsingSpanProcessor reads its rules: undefined while collapsing is off. */
export interface CollapseRulesSource {
  readonly rules: CollapseRules | undefined;
}
