import {
  BATCH_OPTION_NAMES,
  findInvalidBatchValue,
  type BatchQueueOptions,
} from '../core/batch-queue.js';
import { findUnknownOption } from './option-keys.js';

/**
 * A message for the first invalid batch option (named `${path}.${key}`): an unknown key, with
 * the one likely meant, or a value out of range; undefined when all are valid.
 */
export function findInvalidBatchOption(
  options: BatchQueueOptions,
  path = 'batch',
): string | undefined {
  return (
    findUnknownOption(options, path, BATCH_OPTION_NAMES) ?? findInvalidBatchValue(options, path)
  );
}
