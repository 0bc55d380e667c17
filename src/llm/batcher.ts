/**
 * Group commit for the guard: callers that arrive while a transaction is running wait for the
 * next one, which serves all of them (as the core batches receipt commits). One caller alone
 * runs at once; under contention the row locks are taken once per batch instead of once per call.
 */
export interface Batcher<I, O> {
  submit(item: I): Promise<O>;
}

type Outcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

/**
 * `run` gets the batch and answers one outcome per item, in order. If it throws, every item of
 * the batch is tried again alone (so one bad item cannot fail its neighbours).
 */
export function createBatcher<I, O>(run: (items: I[]) => Promise<Array<Outcome<O>>>, maxBatch = 64): Batcher<I, O> {
  const waiting: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  let running = false;

  const settle = (w: (typeof waiting)[number], o: Outcome<O>) => (o.ok ? w.resolve(o.value) : w.reject(o.error));

  async function drain(): Promise<void> {
    running = true;
    try {
      while (waiting.length > 0) {
        const batch = waiting.splice(0, maxBatch);
        try {
          const outcomes = await run(batch.map((w) => w.item));
          batch.forEach((w, i) => settle(w, outcomes[i] ?? { ok: false, error: new Error('batch answered too few outcomes') }));
        } catch (err) {
          if (batch.length === 1) {
            batch[0]!.reject(err);
            continue;
          }
          for (const w of batch) {
            try {
              const [o] = await run([w.item]);
              settle(w, o ?? { ok: false, error: new Error('batch answered no outcome') });
            } catch (e) {
              w.reject(e);
            }
          }
        }
      }
    } finally {
      running = false;
    }
  }

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        if (!running) void drain();
      });
    },
  };
}
