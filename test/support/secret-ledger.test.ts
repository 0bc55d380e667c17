/** The end-of-run secret check finds a recorded secret in a saved log, and nothing else. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLeaks, ledgerSize } from './secret-ledger.js';

describe('secret ledger', () => {
  it('reports a secret that reached a log, and only that one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-test-'));
    try {
      fs.writeFileSync(path.join(dir, 'secrets-1.jsonl'), `${JSON.stringify('hunter2-password')}\n${JSON.stringify('syp_never-logged-token')}\n`);
      fs.writeFileSync(path.join(dir, 'log-1-1.log'), '{"msg":"signed in","password":"hunter2-password"}\n');
      fs.writeFileSync(path.join(dir, 'log-1-2.log'), '{"msg":"nothing to see"}\n');
      expect(findLeaks(dir)).toEqual([{ secret: 'hunter…', file: 'log-1-1.log' }]);
      expect(ledgerSize(dir)).toEqual({ secrets: 2, logs: 2 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
