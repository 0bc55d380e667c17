/**
 * RSA key pairs for fake apps. Generating a 2048-bit key costs 150-700 ms, so keys are pooled per
 * process: the n-th app of every fake gets the n-th pooled key (apps within one fake always have
 * distinct keys; two fakes in one process reuse them). Keys are generated in the background
 * (libuv thread pool) when possible, synchronously when an app needs one that is not ready yet.
 */
import { generateKeyPair, generateKeyPairSync } from 'node:crypto';

const pool: string[] = [];
let pending = 0;

const OPTIONS = {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  // PKCS#1 ("BEGIN RSA PRIVATE KEY"), the format of the .pem GitHub lets you download.
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
} as const;

/** Starts generating keys in the background until `count` are pooled or under way. Resolves when done. */
export function prewarmKeys(count: number): Promise<void> {
  const jobs: Promise<void>[] = [];
  while (pool.length + pending < count) {
    pending += 1;
    jobs.push(
      new Promise<void>((resolve) => {
        generateKeyPair('rsa', OPTIONS, (err, _publicKey, privateKey) => {
          pending -= 1;
          if (!err) pool.push(privateKey);
          resolve();
        });
      }),
    );
  }
  return Promise.all(jobs).then(() => undefined);
}

/** Number of keys ready in the pool. */
export function pooledKeyCount(): number {
  return pool.length;
}

/** The PEM private key for the `index`-th app of a fake (generated now if not pooled yet). */
export function takeKey(index: number): string {
  while (pool.length <= index) {
    pool.push(generateKeyPairSync('rsa', OPTIONS).privateKey);
  }
  const key = pool[index];
  if (key === undefined) throw new Error('unreachable: key pool index out of range');
  // Keep one spare key coming in the background for the next app.
  void prewarmKeys(index + 2);
  return key;
}
