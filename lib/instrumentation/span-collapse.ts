import type { SpanProcessor } from '../core/span-processor.js';
import type { ExportWrapper } from '../config/tracing-feature.js';
import type { CollapseRules, CollapseRulesSource } from './collapse-rules.js';
import { CollapsingSpanProcessor } from './collapsing-span-processor.js';

/**
 * The collapse rule of one app. Nest makes it (so a TracingInstrument sees it created and
 * configures it) and TracingModule puts its processor in front of the export chain. It
 * is off until configured; `applyTo` on a testing module configures it after the tracer
 * exists, which is why the processor reads the rules from here.
 */
export class SpanCollapse implements ExportWrapper, CollapseRulesSource {
  private current: CollapseRules | undefined;

  get rules(): CollapseRules | undefined {
    return this.current;
  }

  /** Turns the rules on (the instrumentation does this when it sees this object). */
  configure(rules: CollapseRules): void {
    this.current = rules;
  }

  wrapExport(downstream: SpanProcessor): CollapsingSpanProcessor {
    return new CollapsingSpanProcessor(downstream, this);
  }
}
