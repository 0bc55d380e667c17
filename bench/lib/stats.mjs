// Percentiles from raw samples (exact, nearest-rank), and small number helpers.

/** Summary of a Float64Array / number[] of latencies in ms. */
export function summarizeSamples(samples) {
  const n = samples.length;
  if (n === 0) return { count: 0, mean: null, p50: null, p90: null, p99: null, p999: null, max: null };
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  const pct = (p) => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))];
  return {
    count: n,
    mean: round(sum / n),
    p50: round(pct(50)),
    p90: round(pct(90)),
    p99: round(pct(99)),
    p999: round(pct(99.9)),
    max: round(sorted[n - 1]),
  };
}

export function decodeSamples(b64) {
  if (!b64) return new Float64Array(0);
  const buf = Buffer.from(b64, 'base64');
  return new Float64Array(buf.buffer, buf.byteOffset, buf.length / 8);
}

export function concatSamples(arrays) {
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const out = new Float64Array(total);
  let off = 0;
  for (const a of arrays) {
    out.set(a, off);
    off += a.length;
  }
  return out;
}

export function round(v, digits = 2) {
  if (v === null || v === undefined || !Number.isFinite(v)) return v ?? null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
