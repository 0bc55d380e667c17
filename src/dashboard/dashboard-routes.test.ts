/** Serving the built dashboard: the page for every route, immutable hashed assets, JSON 404s for the API, and a page that says to build it when it is missing. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandler } from '../http/error-handler.js';
import { contentSecurityPolicy, dashboardRoutes } from './dashboard-routes.js';

async function serve(root: string): Promise<FastifyInstance> {
  const app = Fastify();
  installErrorHandler(app);
  app.get('/healthz', async () => ({ status: 'ok' }));
  await app.register(async (scope) => dashboardRoutes(scope, { root }));
  await app.ready();
  return app;
}

describe('the dashboard’s files', () => {
  let root: string;
  let app: FastifyInstance;
  const script = `console.log(${JSON.stringify('x'.repeat(5000))});`;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-web-'));
    fs.mkdirSync(path.join(root, 'assets'));
    fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Switchyard</title><div id="root"></div>');
    fs.writeFileSync(path.join(root, 'assets', 'index-abc123.js'), script);
    fs.writeFileSync(path.join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    fs.writeFileSync(path.join(os.tmpdir(), 'switchyard-secret.txt'), 'secret');
    app = await serve(root);
  });

  afterAll(async () => {
    await app.close();
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(path.join(os.tmpdir(), 'switchyard-secret.txt'), { force: true });
  });

  it('answers every page of the dashboard with index.html, revalidated, with a content security policy', async () => {
    for (const url of ['/', '/events?status=dead', '/repositories/acme/widgets/pulls/7', '/no/such/page']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.body).toContain('<div id="root">');
    }
  });

  it('caches hashed assets for a year, compresses them, and answers 304 to a matching ETag', async () => {
    const res = await app.inject({ url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip, br' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['content-encoding']).toBe('br');
    expect(zlib.brotliDecompressSync(res.rawPayload).toString()).toBe(script);
    const gz = await app.inject({ url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } });
    expect(zlib.gunzipSync(gz.rawPayload).toString()).toBe(script);
    const plain = await app.inject({ url: '/assets/index-abc123.js' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(script);
    const again = await app.inject({ url: '/assets/index-abc123.js', headers: { 'if-none-match': String(res.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect((await app.inject({ url: '/favicon.svg' })).headers['cache-control']).toBe('no-cache');
  });

  it('answers a missing file with a 404 rather than the page, and never leaves its folder', async () => {
    expect((await app.inject({ url: '/assets/index-old999.js' })).statusCode).toBe(404);
    for (const url of ['/../switchyard-secret.txt', '/%2e%2e/switchyard-secret.txt', '/assets/..%2f..%2fswitchyard-secret.txt']) {
      const res = await app.inject({ url });
      expect(res.body, url).not.toContain('secret');
    }
  });

  it('leaves the API’s unknown paths as JSON 404s and other routes alone', async () => {
    const res = await app.inject({ url: '/api/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'NOT_FOUND' });
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
  });

  it('still runs without a build, with a page that says how to build the dashboard', async () => {
    const bare = await serve(path.join(root, 'missing'));
    try {
      const res = await bare.inject({ url: '/events' });
      expect(res.statusCode).toBe(503);
      expect(res.body).toContain('npm run build');
      expect((await bare.inject({ url: '/api/nope' })).statusCode).toBe(404);
    } finally {
      await bare.close();
    }
  });
});

describe('the dashboard’s content security policy', () => {
  it('allows GitHub’s avatars, and a GitHub Enterprise Server’s own when GITHUB_URL points at one', () => {
    const imgSrc = (csp: string) => csp.split('; ').find((d) => d.startsWith('img-src '))!.split(' ').slice(1);
    expect(imgSrc(contentSecurityPolicy())).toEqual(["'self'", 'data:', 'https://avatars.githubusercontent.com', 'https://*.githubusercontent.com']);
    expect(imgSrc(contentSecurityPolicy('https://github.com'))).toEqual(imgSrc(contentSecurityPolicy()));
    expect(imgSrc(contentSecurityPolicy('https://ghe.example.com'))).toEqual(expect.arrayContaining(['https://ghe.example.com', 'https://avatars.ghe.example.com']));
    expect(imgSrc(contentSecurityPolicy('http://127.0.0.1:8080'))).toContain('http://127.0.0.1:8080');
    expect(contentSecurityPolicy('https://ghe.example.com')).toContain("script-src 'self'");
  });
});
