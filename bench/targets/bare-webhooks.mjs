// Target (b): the bare minimum a correct receiver does. node:http + @octokit/webhooks'
// createNodeMiddleware: reads the body, checks X-Hub-Signature-256, parses the JSON, runs a no-op
// handler, answers 200. No storage: a delivery is lost if the process dies.
//   PORT=3002 WEBHOOK_SECRET=... node bench/targets/bare-webhooks.mjs
import http from 'node:http';
import { Webhooks, createNodeMiddleware } from '@octokit/webhooks';
import { requireSecret, serve, targetAddress } from './serve.mjs';

const { port, host } = targetAddress(3002);
const secret = requireSecret();

const quiet = { debug() {}, info() {}, warn: console.warn, error: console.error };
const webhooks = new Webhooks({ secret, log: quiet });
webhooks.onAny(async () => {});

const middleware = createNodeMiddleware(webhooks, { path: '/api/github/webhooks', log: quiet });
const server = http.createServer((req, res) => {
  middleware(req, res, () => {
    res.writeHead(404).end();
  });
});
await serve(server, { port, host });
console.log(`bare @octokit/webhooks target listening on http://${host}:${port}`);
