/**
 * The fake's "blob storage": where `GET …/actions/jobs/{job_id}/logs` redirects. GitHub answers that
 * call with a 302 to a short-lived signed URL on another host (Azure Blob Storage,
 * `https://productionresultssa….blob.core.windows.net/actions-results/…?…&se=…&sig=…`), valid for about
 * a minute. The fake serves those URLs from a second listener (so the URL is cross-origin and fetch
 * drops the `Authorization` header when it follows the redirect, as it does against GitHub):
 *
 * - `GET`/`HEAD /_logs/<blob>?se=<ISO expiry>&sp=r&sig=<hex>` → 200 `text/plain; charset=utf-8` (the
 *   raw log, streamed in 64 KiB chunks), with `Range: bytes=…` support (206 / 416) like Azure's;
 * - after the expiry (default 60 s; `fake.expireLogUrls()` forces it) → 403 with Azure's
 *   `AuthenticationFailed` XML, which is what an expired SAS URL gets;
 * - a wrong signature → 403 `AuthenticationFailed`; an unknown blob → 404 `BlobNotFound` XML.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hex, isoSeconds } from './ids.js';

interface Blob {
  content: Buffer;
  jobId: number;
  signature: string;
  expiresAt: number;
}

/** One request to a log URL (see `fake.logDownloads`). */
export interface LogDownload {
  jobId: number | null;
  status: number;
  /** The `Range` header, if any. */
  range: string | null;
  /** Whether the request carried an `Authorization` header (a client must not send its token there). */
  authorization: boolean;
}

const CHUNK = 64 * 1024;

function azureError(code: string, message: string, detail?: string): string {
  const requestId = `${hex(4)}-${hex(2)}-${hex(2)}-${hex(2)}-${hex(6)}`;
  return `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:${requestId}\nTime:${new Date().toISOString()}</Message>${detail ? `<AuthenticationErrorDetail>${detail}</AuthenticationErrorDetail>` : ''}</Error>`;
}

/** Short-lived log URLs and the server side of them. */
export class BlobStorage {
  readonly downloads: LogDownload[] = [];
  private readonly blobs = new Map<string, Blob>();

  constructor(
    /** e.g. `http://127.0.0.1:PORT` of the second listener. */
    readonly baseUrl: string,
    private readonly ttlMs: number,
  ) {}

  /** Stores a snapshot of `content` and returns a signed URL valid for the TTL. */
  sign(jobId: number, content: Buffer): string {
    const name = hex(16);
    const signature = hex(32);
    const expiresAt = Date.now() + this.ttlMs;
    this.blobs.set(name, { content, jobId, signature, expiresAt });
    const url = new URL(`${this.baseUrl}/_logs/${name}`);
    url.searchParams.set('sv', '2021-12-02');
    url.searchParams.set('st', isoSeconds(Date.now() - 5 * 60_000));
    url.searchParams.set('se', isoSeconds(expiresAt));
    url.searchParams.set('sr', 'b');
    url.searchParams.set('sp', 'r');
    url.searchParams.set('rsct', 'text/plain');
    url.searchParams.set('sig', signature);
    return url.toString();
  }

  /** Makes every URL handed out so far expire now. */
  expireAll(): void {
    for (const blob of this.blobs.values()) blob.expiresAt = Date.now() - 1;
  }

  /** Serves one request of the blob listener. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const method = (req.method ?? 'GET').toUpperCase();
    const range = typeof req.headers.range === 'string' ? req.headers.range : null;
    const record = (jobId: number | null, status: number) => this.downloads.push({ jobId, status, range, authorization: req.headers.authorization !== undefined });
    const xml = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)), 'x-ms-error-code': /<Code>([^<]+)/.exec(body)?.[1] ?? '' });
      res.end(method === 'HEAD' ? undefined : body);
    };
    const m = /^\/_logs\/([0-9a-f]+)$/.exec(url.pathname);
    const blob = m ? this.blobs.get(m[1] ?? '') : undefined;
    if (!blob || (method !== 'GET' && method !== 'HEAD')) {
      record(blob?.jobId ?? null, 404);
      xml(404, azureError('BlobNotFound', 'The specified blob does not exist.'));
      return;
    }
    if (url.searchParams.get('sig') !== blob.signature) {
      record(blob.jobId, 403);
      xml(403, azureError('AuthenticationFailed', 'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.', 'Signature did not match.'));
      return;
    }
    if (Date.now() >= blob.expiresAt) {
      record(blob.jobId, 403);
      xml(
        403,
        azureError(
          'AuthenticationFailed',
          'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.',
          `Signed expiry time [${new Date(blob.expiresAt).toUTCString()}] must be after signed start time [${new Date().toUTCString()}]`,
        ),
      );
      return;
    }
    const size = blob.content.length;
    let start = 0;
    let end = size - 1;
    let status = 200;
    if (range) {
      const r = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      if (r && (r[1] !== '' || r[2] !== '')) {
        if (r[1] === '') {
          start = Math.max(0, size - Number(r[2]));
        } else {
          start = Number(r[1]);
          end = r[2] === '' ? size - 1 : Math.min(Number(r[2]), size - 1);
        }
        if (start >= size || start > end) {
          record(blob.jobId, 416);
          res.writeHead(416, { 'content-range': `bytes */${size}`, 'content-type': 'application/xml' });
          res.end(method === 'HEAD' ? undefined : azureError('InvalidRange', 'The range specified is invalid for the current size of the resource.'));
          return;
        }
        status = 206;
      }
    }
    record(blob.jobId, status);
    const headers: Record<string, string> = {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(size === 0 ? 0 : end - start + 1),
      'accept-ranges': 'bytes',
      etag: `"0x${hex(8).toUpperCase()}"`,
      'x-ms-blob-type': 'BlockBlob',
      'x-ms-version': '2021-12-02',
    };
    if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    res.writeHead(status, headers);
    if (method === 'HEAD' || size === 0) {
      res.end();
      return;
    }
    let offset = start;
    const pump = () => {
      while (offset <= end) {
        const chunk = blob.content.subarray(offset, Math.min(offset + CHUNK, end + 1));
        offset += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    res.on('close', () => res.removeListener('drain', pump));
    pump();
  }
}
