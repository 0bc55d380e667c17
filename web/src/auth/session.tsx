/**
 * Who is signed in. `GET /api/me` answers 401 without a session: that is "signed out" (null), not an
 * error. Any API call that answers 401 later (expired or revoked session) signs the page out too
 * (see main.tsx), and the guards below send the person to the sign-in page and back afterwards.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { api, ApiError } from '../api/client';
import type { Me } from '../api/types';
import { ErrorState, Loading } from '../components/states';

export const ME_KEY = ['me'] as const;

export function useMe() {
  return useQuery<Me | null>({
    queryKey: ME_KEY,
    queryFn: async () => {
      try {
        return await api.get('/api/me');
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: 5 * 60_000,
    retry: (n, err) => !(err instanceof ApiError && err.status < 500) && n < 2,
  });
}

/** The signed-in viewer (inside RequireAuth). */
export function useViewer(): Me {
  const me = useMe().data;
  if (!me) throw new Error('useViewer outside RequireAuth');
  return me;
}

export function useSetupStatus() {
  return useQuery({ queryKey: ['setup-status'], queryFn: () => api.get('/api/setup/status'), staleTime: 60_000 });
}

/** Only a safe same-site path: never an open redirect. */
export function safeReturnTo(v: string | null | undefined): string {
  if (!v || !v.startsWith('/') || v.startsWith('//') || v.startsWith('/\\') || v.startsWith('/sign-in')) return '/';
  return v;
}

function FullPage({ children }: { children: ReactNode }) {
  return <div className="full-page">{children}</div>;
}

export function RequireAuth({ children }: { children: ReactNode }) {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) {
    return (
      <FullPage>
        <Loading label="Checking your session…" rows={2} />
      </FullPage>
    );
  }
  if (me.isError) {
    return (
      <FullPage>
        <ErrorState error={me.error} retry={() => void me.refetch()} title="Switchyard did not answer" />
      </FullPage>
    );
  }
  if (!me.data) {
    const here = `${location.pathname}${location.search}`;
    return <Navigate to={here === '/' ? '/sign-in' : `/sign-in?return_to=${encodeURIComponent(here)}`} replace />;
  }
  return <>{children}</>;
}

export function useSignOut() {
  const queryClient = useQueryClient();
  return async () => {
    await api.post('/api/auth/logout').catch(() => undefined);
    queryClient.clear();
    queryClient.setQueryData(ME_KEY, null);
  };
}
