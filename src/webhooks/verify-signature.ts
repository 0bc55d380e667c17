/** Verifies GitHub's `X-Hub-Signature-256` over the raw body, in constant time. */
import { verify } from '@octokit/webhooks-methods';

/** True when `signature` is `sha256=<hex>` of `body` under `secret`. */
export async function verifySignature(secret: string, body: string, signature: string | undefined): Promise<boolean> {
  if (!signature || !/^sha256=[0-9a-f]{64}$/.test(signature) || body.length === 0) return false;
  return verify(secret, body, signature);
}
