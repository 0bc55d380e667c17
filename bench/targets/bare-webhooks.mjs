// Target (b): the bare minimum a correct receiver does. node:http + @octokit/webhooks'
// createNodeMiddleware: reads the body, checks X-Hub-Signature-256, parses the JSON, runs a no-op
// handler, answers 200. No storage: a delivery is lost if the process dies.
//   PORT=3002 WEBHOOK_SECRET=... node bench/targets/bare-webhooks.mjs
import http from 'node:http';
import { Webhooks, createNodeMiddleware } from '@octokit/webhooks';

const port = Number(process.env.PORT || 3002);
const host = process.env.HOST || '127.0.0.1';
const secret = process.env.WEBHOOK_SECRET;
if (!secret) {
  console.error('WEBHOOK_SECRET is required');
  process.exit(1);
}

const quiet = { debug() {}, info() {}, warn: console.warn, error: console.error };
const webhooks = new Webhooks({ secret, log: quiet });
webhooks.onAny(async () => {});

const middleware = createNodeMiddleware(webhooks, { path: '/api/github/webhooks', log: quiet });
const server = http.createServer((req, res) => {
  middleware(req, res, () => {
    res.writeHead(404).end();
  });
});
server.keepAliveTimeout = 65000;
server.listen(port, host, () => console.log(`bare @octokit/webhooks target listening on http://${host}:${port}`));
function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 500).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
