/** What a model costs, per million tokens, in the currency of your choice. */
export interface GenAiModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

/** `genAi` in TracingModule.forRoot. */
export interface GenAiOptions {
  /**
   * Prices by model name. A call is priced by its response model, else its request
   * model: an exact name first, then the longest name it starts with (so a dated
   * snapshot such as `gpt-4o-2024-08-06` is priced as `gpt-4o`). Calls of unlisted models
   * get no cost. @default {}
   */
  prices?: Record<string, GenAiModelPrice>;
}
