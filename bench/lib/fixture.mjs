// The benchmark delivery: a constant ~21 KB pull_request body, its constant signature, and the
// headers GitHub sends (X-GitHub-Delivery is made fresh for every request by the load generators).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { FIXTURE_FILE } from './config.mjs';

export function loadFixture(secret, file = FIXTURE_FILE) {
  const body = fs.readFileSync(file);
  JSON.parse(body.toString('utf8')); // fail early on a broken fixture
  const signature = `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
  return {
    file,
    body,
    bytes: body.length,
    sha256: crypto.createHash('sha256').update(body).digest('hex'),
    signature,
    event: 'pull_request',
    /** Headers common to every request; add X-GitHub-Delivery per request. */
    baseHeaders: {
      'Content-Type': 'application/json',
      'User-Agent': 'GitHub-Hookshot/bench',
      'X-GitHub-Event': 'pull_request',
      'X-GitHub-Hook-ID': '123456789',
      'X-GitHub-Hook-Installation-Target-ID': '1234567',
      'X-GitHub-Hook-Installation-Target-Type': 'integration',
      'X-Hub-Signature-256': signature,
    },
  };
}
