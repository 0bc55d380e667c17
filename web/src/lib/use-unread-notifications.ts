/**
 * How many notifications the signed-in person has not read, for the navigation's badge. The API has
 * no count, so this reads the first page of unread ones (small: the badge says "20+" past that),
 * every 30 s while the tab is visible; marking read refreshes it at once (same query key prefix).
 */
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';

export const NOTIFICATIONS_KEY = ['notifications'] as const;
const PAGE = 20;

export function useUnreadNotifications(enabled = true): { count: number; more: boolean; label: string } | null {
  const query = useQuery({
    queryKey: [...NOTIFICATIONS_KEY, 'unread-count'],
    queryFn: ({ signal }) => api.get('/api/notifications', { query: { unread: 'true', limit: PAGE }, signal }),
    refetchInterval: 30_000,
    enabled,
  });
  if (!query.data) return null;
  const count = query.data.items.length;
  const more = query.data.next_cursor !== null;
  return { count, more, label: more ? `${count}+` : String(count) };
}
