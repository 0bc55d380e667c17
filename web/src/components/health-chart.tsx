/**
 * A pet's health over time (uPlot, loaded on first use): a stepped line of health (0–100), with
 * daily decay marked as points and deaths and revives as labelled points. Colours follow the theme;
 * it redraws on resize and on a colour scheme change. A table of the changes is there for screen
 * readers.
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

export interface HealthPoint {
  at: string;
  health: number;
  kind: 'start' | 'now' | 'commit_analysis' | 'daily_decay' | 'manual_reset' | 'death' | 'revive';
  reason?: string;
}

export function HealthChart({ points, label, height = 200 }: { points: HealthPoint[]; label: string; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const scheme = useColorScheme();
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    const el = box.current;
    if (!el || points.length === 0) return;
    let plot: uPlot | null = null;
    let cancelled = false;
    let observer: ResizeObserver | null = null;
    loadUPlot()
      .then((UPlot) => {
        if (cancelled) return;
        const xs = points.map((p) => Date.parse(p.at) / 1000);
        const health = points.map((p) => p.health);
        const decay = points.map((p) => (p.kind === 'daily_decay' ? p.health : null));
        const life = points.map((p) => (p.kind === 'death' || p.kind === 'revive' ? p.health : null));
        const accent = cssVar('--accent');
        const warning = cssVar('--warning');
        const danger = cssVar('--danger');
        const grid = cssVar('--border');
        const text = cssVar('--text-muted');
        plot = new UPlot(
          {
            width: Math.max(200, el.clientWidth),
            height,
            legend: { show: false },
            cursor: { drag: { x: false, y: false } },
            scales: { x: { time: true }, y: { range: [0, 100] } },
            axes: [
              { stroke: text, grid: { show: false }, ticks: { stroke: grid }, values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' })), space: 70 },
              { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { show: false }, size: 34, splits: () => [0, 20, 40, 60, 80, 100] },
            ],
            series: [
              {},
              { label: 'Health', stroke: accent, width: 2, paths: UPlot.paths.stepped!({ align: 1 }), points: { show: false } },
              { label: 'Daily decay', stroke: warning, fill: warning, width: 0, paths: () => null, points: { show: true, size: 6, fill: warning, stroke: warning } },
              { label: 'Death or revive', stroke: danger, fill: danger, width: 0, paths: () => null, points: { show: true, size: 10, fill: danger, stroke: danger } },
            ],
          },
          [xs, health, decay, life],
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
  }, [points, height, scheme]);

  const changes = points.filter((p) => p.kind !== 'start' && p.kind !== 'now');
  return (
    <figure className="daily-chart health-chart">
      <div ref={box} className="daily-chart-canvas" style={{ minHeight: height }} aria-hidden="true" />
      {failed && <p className="muted">The chart could not be drawn.</p>}
      <p className="small muted health-chart-legend" aria-hidden="true">
        <span className="legend-line" /> health <span className="legend-dot decay" /> daily decay <span className="legend-dot life" /> death or revive
      </p>
      <figcaption className="visually-hidden">
        {label}: {changes.length} changes.
        <table>
          <caption>{label}</caption>
          <thead>
            <tr>
              <th>When</th>
              <th>Health</th>
              <th>What</th>
            </tr>
          </thead>
          <tbody>
            {changes.slice(-200).map((p, i) => (
              <tr key={i}>
                <td>{p.at}</td>
                <td>{p.health}</td>
                <td>{p.reason ?? p.kind}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </figcaption>
    </figure>
  );
}
