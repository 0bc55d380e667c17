/**
 * The payload store: deliveries larger than PAYLOAD_INLINE_LIMIT (1 MB) are kept as files under
 * `<data dir>/payloads/YYYY/MM/DD/<receipt id>.json` instead of in the database row, and the row's
 * `payload_storage` names the file (`file:payloads/…`). Files are fsynced before the receipt commits,
 * so an acknowledged delivery's payload survives a crash. Scaled-out deployments put the data dir
 * on storage every process shares.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface PayloadStore {
  /** Writes the bytes durably; returns the reference to store in `payload_storage`. */
  put(receiptId: string, receivedAt: string, body: Buffer): Promise<string>;
  /** Reads the bytes back. */
  get(reference: string): Promise<Buffer>;
  /** Removes a stored payload (used when its receipt was not stored, or is deleted). */
  remove(reference: string): Promise<void>;
}

/** A payload store in `<dataDir>/payloads`. */
export function createFilePayloadStore(dataDir: string): PayloadStore {
  const root = path.resolve(dataDir);
  const resolve = (reference: string): string => {
    if (!reference.startsWith('file:')) throw new Error(`Unknown payload reference ${reference}`);
    const full = path.resolve(root, reference.slice('file:'.length));
    if (!full.startsWith(root + path.sep)) throw new Error('Payload reference escapes the data dir');
    return full;
  };
  return {
    async put(receiptId, receivedAt, body) {
      const rel = path.posix.join('payloads', receivedAt.slice(0, 4), receivedAt.slice(5, 7), receivedAt.slice(8, 10), `${receiptId}.json`);
      const full = path.join(root, rel);
      await fs.promises.mkdir(path.dirname(full), { recursive: true });
      const fh = await fs.promises.open(full, 'w');
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return `file:${rel}`;
    },
    async get(reference) {
      return fs.promises.readFile(resolve(reference));
    },
    async remove(reference) {
      await fs.promises.rm(resolve(reference), { force: true });
    },
  };
}
