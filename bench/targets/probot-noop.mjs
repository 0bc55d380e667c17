// Target (a): a Probot 14 app whose only handler does nothing: `app.onAny(async () => {})`.
//
// By default it runs the way `probot run` runs an app: Probot's `run(appFn, { env })`, i.e. Probot's
// own `Server` (node:http, pino-http request logger, ping/static/404 handlers) with the webhooks
// middleware at /api/github/webhooks, logger at LOG_LEVEL (warn). Per delivery Probot verifies the
// signature, parses the JSON, builds a Context and an installation-scoped Octokit (no network: a
// token is only fetched when an API call is made), and awaits the handler before answering 200.
// Nothing is stored.
//
// PROBOT_TARGET_MODE=middleware uses `createNodeMiddleware` on a bare node:http server instead
// (Probot's serverless/custom-server path: same webhook pipeline, no request logger).
//
// Probot needs an app id and an RSA private key to start; both are throwaway values made here.
//   PORT=3003 WEBHOOK_SECRET=... node bench/targets/probot-noop.mjs
import crypto from 'node:crypto';
import http from 'node:http';
import { Probot, createNodeMiddleware, createProbot, run } from 'probot';
import { requireSecret, serve, targetAddress } from './serve.mjs';

const { port, host } = targetAddress(3003);
const secret = requireSecret();
const mode = process.env.PROBOT_TARGET_MODE || 'run';
const logLevel = process.env.LOG_LEVEL || 'warn';

const { privateKey } = crypto.generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const appId = 123456;

const appFn = (app) => {
  app.onAny(async () => {});
};

if (mode === 'middleware') {
  const probot = createProbot({ env: {}, overrides: { appId, privateKey, secret, logLevel } });
  const middleware = await createNodeMiddleware(appFn, { probot });
  const httpServer = http.createServer((req, res) => {
    middleware(req, res, () => {
      res.writeHead(404).end();
    });
  });
  await serve(httpServer, { port, host });
} else {
  await run(appFn, {
    env: {
      APP_ID: String(appId),
      PRIVATE_KEY: privateKey,
      WEBHOOK_SECRET: secret,
      PORT: String(port),
      HOST: host,
      LOG_LEVEL: logLevel,
      NODE_ENV: 'production',
    },
  });
  process.on('SIGTERM', () => process.exit(0));
}
console.log(`probot ${Probot.version} no-op app (${mode}) listening on http://${host}:${port}`);
