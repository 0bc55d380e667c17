import { useEffect, useState } from 'react';

const listeners = new Set<(now: number) => void>();
let timer: number | null = null;

/** The current time, re-rendered every 30 s (one shared timer), so relative times stay true. */
export function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    listeners.add(setNow);
    timer ??= window.setInterval(() => {
      const t = Date.now();
      for (const l of listeners) l(t);
    }, 30_000);
    return () => {
      listeners.delete(setNow);
      if (listeners.size === 0 && timer !== null) {
        window.clearInterval(timer);
        timer = null;
      }
    };
  }, []);
  return now;
}
