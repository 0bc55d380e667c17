// Times every statement node-pg sends, from the call to its answer, by stage name (`stageOf(text)`),
// while `timer.on` is true. Installs itself on pg.Client.prototype.query (benchmarks only).
import pg from 'pg';

export function timeStatements(stageOf) {
  const stages = new Map();
  const timer = { on: false, stages };
  const origQuery = pg.Client.prototype.query;
  pg.Client.prototype.query = function (...args) {
    const first = args[0];
    const text = typeof first === 'string' ? first : first?.text;
    const ret = origQuery.apply(this, args);
    if (timer.on && text && ret && typeof ret.then === 'function') {
      const t0 = performance.now();
      const name = stageOf(text);
      ret.then(
        () => {
          const s = stages.get(name) ?? { n: 0, ms: 0 };
          s.n++;
          s.ms += performance.now() - t0;
          stages.set(name, s);
        },
        () => undefined,
      );
    }
    return ret;
  };
  return timer;
}
