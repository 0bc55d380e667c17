/**
 * A tiny local GitHub for differential tests: it records every request (method, path, headers,
 * body) and answers from routes the test gives it. Unknown routes answer 404 like GitHub.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Sent as is (e.g. a raw file), instead of `body` as JSON. */
  text?: string;
}

export type Route = (req: RecordedRequest, url: string) => Reply | undefined;

export interface RecordingGitHub {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1; `routes` are tried in order, the first answer wins. */
export async function startRecordingGitHub(routes: Route[]): Promise<RecordingGitHub> {
  const requests: RecordedRequest[] = [];
  let base = '';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text === '' ? undefined : text;
      try {
        if (text !== '') body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const rec: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers, body };
      requests.push(rec);
      let reply: Reply | undefined;
      for (const r of routes) {
        reply = r(rec, base);
        if (reply) break;
      }
      reply ??= { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
      if (reply.text !== undefined) {
        res.writeHead(reply.status ?? 200, { 'content-type': 'text/plain; charset=utf-8', ...(reply.headers ?? {}) });
        res.end(reply.text);
        return;
      }
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json; charset=utf-8', ...(reply.headers ?? {}) });
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

