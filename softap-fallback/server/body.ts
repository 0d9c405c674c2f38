/** Request bodies, read into memory with a hard byte limit (nothing ever goes to disk). */
import type { Request } from 'express';
import { HttpFailure } from './http-error.js';

/** Fails at once on a declared length over `limit`; stops reading past `limit` otherwise. */
export function readBody(req: Request, limit: number): Promise<Uint8Array> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(new HttpFailure(413, 'MESSAGE_TOO_LARGE', `body of ${Number(declared)} bytes > ${limit}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const onData = (chunk: Uint8Array): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(new HttpFailure(413, 'MESSAGE_TOO_LARGE', `body over ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      const out = new Uint8Array(size);
      let o = 0;
      for (const c of chunks) {
        out.set(c, o);
        o += c.length;
      }
      resolve(out);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new HttpFailure(400, 'MESSAGE_INVALID', `body: ${err.message.slice(0, 80)}`));
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Routes that take no body refuse one (declared or chunked). */
export function refuseBody(req: Request): void {
  const length = req.headers['content-length'];
  if ((length !== undefined && Number(length) > 0) || req.headers['transfer-encoding'] !== undefined) {
    throw new HttpFailure(413, 'MESSAGE_TOO_LARGE', 'this route takes no body');
  }
}

/** The media type of a request, without parameters, lower case. */
export function mediaType(req: Request): string {
  const [type = ''] = (req.headers['content-type'] ?? '').split(';');
  return type.trim().toLowerCase();
}
