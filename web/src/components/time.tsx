/** A time shown relative ("3 min ago") with the exact local time on hover and for screen readers. */
import { absoluteTime, relativeTime } from '../lib/format';
import { useNow } from '../lib/use-now';

export function RelativeTime({ iso, fallback = 'never' }: { iso: string | null | undefined; fallback?: string }) {
  const now = useNow();
  if (!iso) return <span className="muted">{fallback}</span>;
  return (
    <time dateTime={iso} title={absoluteTime(iso)}>
      {relativeTime(iso, now)}
    </time>
  );
}
