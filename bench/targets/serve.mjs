// What every node:http benchmark target shares: its address from the environment, the webhook
// secret, and listening with long keep-alive until SIGTERM/SIGINT closes every connection.

/** PORT (default `defaultPort`) and HOST (default 127.0.0.1). */
export function targetAddress(defaultPort) {
  return { port: Number(process.env.PORT || defaultPort), host: process.env.HOST || '127.0.0.1' };
}

/** WEBHOOK_SECRET, or exit with a message. */
export function requireSecret() {
  const secret = process.env.WEBHOOK_SECRET;
  if (!secret) {
    console.error('WEBHOOK_SECRET is required');
    process.exit(1);
  }
  return secret;
}

/** Listens on port/host; resolves once listening. SIGTERM/SIGINT close the server and exit. */
export async function serve(server, { port, host }) {
  server.keepAliveTimeout = 65000;
  await new Promise((resolve) => server.listen(port, host, resolve));
  const shutdown = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 500).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
