/**
 * Events per day as a bar chart (uPlot, loaded on first use so pages without a chart do not pay for
 * it). Colours follow the theme (CSS variables), and it redraws when the width or the colour scheme
 * changes. A table of the same numbers is available to screen readers.
 */
import { useEffect, useRef, useState } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

type UPlotCtor = typeof uPlot;
let loading: Promise<UPlotCtor> | null = null;
const loadUPlot = () => (loading ??= import('uplot').then((m) => m.default));

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

function useColorScheme(): string {
  const [scheme, setScheme] = useState(() => (window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
  useEffect(() => {
    const mq = window.matchMedia?.('(prefers-color-scheme: dark)');
    if (!mq) return;
    const on = () => setScheme(mq.matches ? 'dark' : 'light');
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);
  return scheme;
}

const integers = (v: number) => (Number.isInteger(v) ? String(v) : '');

/** `formatValue` labels the y axis and the table (default: whole numbers); `valueLabel` heads the table's column; the y axis reaches `minTop` at least. */
export function DailyChart({
  days,
  values,
  label,
  height = 160,
  valueLabel = 'Events',
  formatValue = integers,
  minTop = 4,
}: {
  days: string[];
  values: number[];
  label: string;
  height?: number;
  valueLabel?: string;
  formatValue?: (v: number) => string;
  /** The y axis reaches at least this high. */
  minTop?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const scheme = useColorScheme();
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let plot: uPlot | null = null;
    let cancelled = false;
    let observer: ResizeObserver | null = null;
    loadUPlot()
      .then((UPlot) => {
        if (cancelled) return;
        const xs = days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
        const accent = cssVar('--accent');
        const fill = cssVar('--chart-fill');
        const grid = cssVar('--border');
        const text = cssVar('--text-muted');
        const bars = UPlot.paths.bars!({ size: [0.7, 40], align: 0 });
        plot = new UPlot(
          {
            width: Math.max(200, el.clientWidth),
            height,
            legend: { show: false },
            cursor: { drag: { x: false, y: false }, points: { show: false } },
            scales: { x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] }, y: { range: (_u, _min, max) => [0, Math.max(minTop, max * 1.15)] } },
            axes: [
              { stroke: text, grid: { show: false }, ticks: { stroke: grid }, values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' })), space: 60 },
              { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { show: false }, size: (_u, vals) => Math.max(40, 12 + 7 * Math.max(0, ...(vals ?? []).map((v) => v.length))), values: (_u, ticks) => ticks.map(formatValue) },
            ],
            series: [{}, { label, stroke: accent, fill, width: 0, paths: bars, points: { show: false } }],
          },
          [xs, values],
          el,
        );
        observer = new ResizeObserver(() => plot?.setSize({ width: Math.max(200, el.clientWidth), height }));
        observer.observe(el);
      })
      .catch(() => setFailed(true));
    return () => {
      cancelled = true;
      observer?.disconnect();
      plot?.destroy();
    };
  }, [days, values, label, height, scheme, formatValue, minTop]);

  const total = values.reduce((a, b) => a + b, 0);
  return (
    <figure className="daily-chart">
      <div ref={box} className="daily-chart-canvas" style={{ minHeight: height }} aria-hidden="true" />
      {failed && <p className="muted">The chart could not be drawn.</p>}
      <figcaption className="visually-hidden">
        {label}: {formatValue === integers ? total : formatValue(total)} in {values.length} days.
        <table>
          <caption>{label}</caption>
          <thead>
            <tr>
              <th>Day</th>
              <th>{valueLabel}</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d, i) => (
              <tr key={d}>
                <td>{d}</td>
                <td>{formatValue === integers ? (values[i] ?? 0) : formatValue(values[i] ?? 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </figcaption>
    </figure>
  );
}
