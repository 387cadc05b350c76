// The names live in core/ (semantic-convention constants, read by metrics as well as genai);
// this keeps the public export in lib/index.ts pointing where it always has.
export { GEN_AI_ATTRIBUTES } from '../core/genai-attributes.js';
