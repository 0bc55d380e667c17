// Calibration target: reads the body and answers 202, nothing else. What the load generator reaches
// against it is the ceiling of this client on this machine; a target close to it is client-bound.
//   PORT=3001 node bench/targets/trivial.mjs
import http from 'node:http';

const port = Number(process.env.PORT || 3001);
const host = process.env.HOST || '127.0.0.1';

const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(202, { 'content-type': 'application/json', 'content-length': '20' });
    res.end('{"status":"queued"}\n');
  });
});
server.keepAliveTimeout = 65000;
server.listen(port, host, () => console.log(`trivial target listening on http://${host}:${port}`));
function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 500).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
