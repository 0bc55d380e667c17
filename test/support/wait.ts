/** Small helpers for end-to-end tests that wait on background work and read loose JSON. */

/** Polls `fn` every 50 ms until it returns something truthy; throws after `timeoutMs`. Errors from `fn` fail at once. */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A response body as loosely typed JSON (the tests assert its shape). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const json = async (res: Response | Promise<Response>): Promise<any> => (await res).json();
