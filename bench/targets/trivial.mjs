// Calibration target: reads the body and answers 202, nothing else. What the load generator reaches
// against it is the ceiling of this client on this machine; a target close to it is client-bound.
//   PORT=3001 node bench/targets/trivial.mjs
import http from 'node:http';
import { serve, targetAddress } from './serve.mjs';

const { port, host } = targetAddress(3001);

const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(202, { 'content-type': 'application/json', 'content-length': '20' });
    res.end('{"status":"queued"}\n');
  });
});
await serve(server, { port, host });
console.log(`trivial target listening on http://${host}:${port}`);
