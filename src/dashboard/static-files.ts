/**
 * Reads the built dashboard (`dist/web`) and keeps each file in memory with its ETag, and gzip and
 * brotli encodings made on first request. Paths never leave the root.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Types worth compressing. */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.svg', '.txt', '.webmanifest']);

export interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
  mtimeMs: number;
  /** Encoded bodies, made on first use. */
  encoded: Map<'br' | 'gzip', Promise<Buffer>>;
  compressible: boolean;
}

export interface StaticFiles {
  root: string;
  /** A file under the root by URL path (`/assets/x.js`), or null when there is none. */
  get(urlPath: string): Promise<StaticFile | null>;
  /** The body in the best encoding the client accepts. */
  encode(file: StaticFile, acceptEncoding: string | undefined): Promise<{ body: Buffer; encoding: 'br' | 'gzip' | null }>;
}

export function staticFiles(root: string): StaticFiles {
  const cache = new Map<string, StaticFile>();
  const resolvedRoot = path.resolve(root);

  return {
    root: resolvedRoot,
    async get(urlPath) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(urlPath);
      } catch {
        return null;
      }
      if (decoded.includes('\0')) return null;
      const file = path.resolve(resolvedRoot, `.${path.posix.normalize(`/${decoded}`)}`);
      if (!file.startsWith(resolvedRoot + path.sep)) return null;
      let stat;
      try {
        stat = await fs.stat(file);
      } catch {
        return null;
      }
      if (!stat.isFile()) return null;
      const hit = cache.get(file);
      if (hit && hit.mtimeMs === stat.mtimeMs) return hit;
      const body = await fs.readFile(file);
      const ext = path.extname(file).toLowerCase();
      const entry: StaticFile = {
        body,
        type: TYPES[ext] ?? 'application/octet-stream',
        etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
        mtimeMs: stat.mtimeMs,
        encoded: new Map(),
        compressible: COMPRESSIBLE.has(ext) && body.length > 1024,
      };
      cache.set(file, entry);
      return entry;
    },
    async encode(file, acceptEncoding) {
      if (!file.compressible || !acceptEncoding) return { body: file.body, encoding: null };
      const accepts = (name: string) => new RegExp(`(^|[,\\s])${name}(?![\\w-])(?!;\\s*q=0(\\.0*)?(,|$))`).test(acceptEncoding);
      const encoding = accepts('br') ? 'br' : accepts('gzip') ? 'gzip' : null;
      if (!encoding) return { body: file.body, encoding: null };
      let pending = file.encoded.get(encoding);
      if (!pending) {
        pending =
          encoding === 'br'
            ? brotli(file.body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: file.body.length } })
            : gzip(file.body, { level: 9 });
        file.encoded.set(encoding, pending);
      }
      return { body: await pending, encoding };
    },
  };
}
