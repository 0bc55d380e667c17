/** A tiny bar chart of a series (events per day), drawn as SVG: cheap enough for every row of a list. */
export function Sparkline({ values, days, label, width = 112, height = 28 }: { values: number[]; days?: string[]; label: string; width?: number; height?: number }) {
  const max = Math.max(1, ...values);
  const gap = 2;
  const barWidth = Math.max(1, (width - gap * (values.length - 1)) / values.length);
  const total = values.reduce((a, b) => a + b, 0);
  const description = `${label}: ${total} in ${values.length} days${days?.length ? `, ${days.map((d, i) => `${d}: ${values[i] ?? 0}`).join(', ')}` : ''}`;
  return (
    <svg className="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={description}>
      <title>{description}</title>
      {values.map((v, i) => {
        const h = v === 0 ? 1.5 : Math.max(3, (v / max) * (height - 2));
        return <rect key={i} x={i * (barWidth + gap)} y={height - h} width={barWidth} height={h} rx={1} className={v === 0 ? 'spark-zero' : i === values.length - 1 ? 'spark-today' : 'spark-bar'} />;
      })}
    </svg>
  );
}
