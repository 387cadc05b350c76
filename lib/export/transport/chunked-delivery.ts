import { SUCCESS, type ExportResult } from '../../core/span-exporter.js';

/**
 * Sends a batch that a backend's limits split into several requests, in order, and
 * remembers how far it got: the batch queue retries a failed batch with the same array,
 * so the chunks the backend already accepted are not sent (and stored) twice.
 */
export class ChunkedDelivery<C> {
  private readonly delivered = new WeakMap<object, number>();

  async deliver(
    batch: object,
    chunks: readonly C[],
    send: (chunk: C) => Promise<ExportResult>,
  ): Promise<ExportResult> {
    for (let i = this.delivered.get(batch) ?? 0; i < chunks.length; i++) {
      const result = await send(chunks[i]!);
      if (result.code !== SUCCESS.code) {
        this.delivered.set(batch, i);
        return result;
      }
    }
    this.delivered.delete(batch);
    return SUCCESS;
  }
}
