import type { Readable } from 'node:stream';
import { Observable } from 'rxjs';

/**
 * The `data:` payloads (JSON) of a server-sent event stream, one value per event.
 * Unsubscribing destroys the stream, which closes the connection.
 */
export function sseData<T>(stream: Readable): Observable<T> {
  return new Observable<T>((subscriber) => {
    let buffer = '';
    const onData = (chunk: Buffer | string): void => {
      buffer += String(chunk);
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (data !== '') {
          try {
            subscriber.next(JSON.parse(data) as T);
          } catch (error) {
            subscriber.error(error);
          }
        }
        end = buffer.indexOf('\n\n');
      }
    };
    stream.setEncoding('utf8');
    stream.on('data', onData);
    stream.once('end', () => subscriber.complete());
    stream.once('error', (error) => subscriber.error(error));
    return () => {
      stream.off('data', onData);
      if (!stream.readableEnded) stream.destroy();
    };
  });
}
