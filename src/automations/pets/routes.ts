/**
 * The pets API, scoped like every GitHub object: a viewer sees the pets of repositories of their
 * installations, and anything else answers 404 as if it did not exist. Each route: validate (zod)
 * → authorize → command → present.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isUuid } from '../../db/index.js';
import { authOf, type Auth, type Scope } from '../../http/auth-context.js';
import { errorResponse } from '../../http/error-handler.js';
import { decodeCursor, encodeCursor, pageOf } from '../../http/paging.js';
import { PetCommitNotFound, PetNotFound } from './errors.js';
import { creatureImage, lookOf, send } from './image-routes.js';
import { patchPet, reanalyzePet, revive, type ManageDeps } from './manage.js';
import { presentCommit, presentCommitDetail, presentHistory, presentPet, type PresentDeps } from './present.js';
import * as repo from './repo.js';
import type { sparkPoint } from './schema.js';
import { accepted, commitDetail, commitItem, historyItem, historyQuery, listQuery, pageQuery, patchBody, petItem, reanalyzeBody, repoParams, shaParams } from './schema.js';

const TAGS = ['pets'];
const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next_cursor: z.string().nullable() });
const DAY_MS = 86_400_000;

export type RoutesDeps = ManageDeps & PresentDeps;

/** A two-part keyset position (time, id) as one opaque cursor. */
function pairCursor(at: string, id: string): string {
  return encodeCursor(`${at}|${id}`);
}
function readPairCursor(cursor: string): { at: string; id: string } {
  const v = decodeCursor(cursor, 'string', (s) => /^[^|]+\|[0-9a-f-]{36}$/.test(s));
  const [at, id] = v.split('|') as [string, string];
  return { at, id };
}

function viewerName(auth: Auth): string {
  return auth.viewer.kind === 'user' ? auth.viewer.username : 'the operator';
}

/** 30-day sparklines for a page of pets: the health before the window, each change, and now. */
export async function sparklines(deps: Pick<RoutesDeps, 'db' | 'now'>, pets: repo.PetRow[]): Promise<Map<string, Array<z.infer<typeof sparkPoint>>>> {
  const now = deps.now();
  const since = new Date(now.getTime() - 30 * DAY_MS).toISOString();
  const ids = pets.map((p) => p.id);
  const [rows, before] = await Promise.all([repo.historySince(deps.db.kysely, ids, since), repo.healthBefore(deps.db.kysely, ids, since)]);
  const out = new Map<string, Array<z.infer<typeof sparkPoint>>>();
  for (const p of pets) out.set(p.id, []);
  for (const r of rows) out.get(r.entity_id)?.push({ at: r.occurred_at, health: r.health_after });
  for (const p of pets) {
    const points = out.get(p.id)!;
    const start = before.get(p.id) ?? (points.length > 0 ? null : p.health);
    if (start !== null) points.unshift({ at: since, health: start });
    points.push({ at: now.toISOString(), health: p.health });
  }
  return out;
}

export async function petsRoutes(app: FastifyInstance, deps: RoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  const petOf = async (owner: string, name: string, scope: Scope): Promise<repo.PetRow> => {
    const p = await repo.findPetByName(db.kysely, `${owner}/${name}`, scope);
    if (!p) throw new PetNotFound(`${owner}/${name}`);
    return p;
  };

  r.get(
    '/api/pets',
    { schema: { tags: TAGS, summary: 'Pets of the repositories you may see, newest first, each with a 30-day health sparkline', querystring: listQuery, response: { 200: page(petItem), 400: errorResponse } } },
    async (req) => {
      const { scope } = authOf(req);
      const q = req.query;
      const beforeId = q.cursor ? decodeCursor(q.cursor, 'string', isUuid) : undefined;
      const rows = await repo.listPets(db.kysely, { scope, beforeId, limit: q.limit, state: q.state });
      const p = pageOf(rows, q.limit, (l) => l.id);
      const lines = await sparklines(deps, p.items);
      return { items: p.items.map((x) => presentPet(deps, x, lines.get(x.id))), next_cursor: p.next_cursor };
    },
  );

  r.get('/api/pets/:owner/:name', { schema: { tags: TAGS, summary: 'One pet: health, band, life state, sync and backfill progress, settings, badge', params: repoParams, response: { 200: petItem, 404: errorResponse } } }, async (req) => {
    const p = await petOf(req.params.owner, req.params.name, authOf(req).scope);
    return presentPet(deps, p);
  });

  r.get(
    '/api/pets/:owner/:name/creature.svg',
    { schema: { tags: TAGS, summary: 'The pet’s creature as SVG, for people who may see it (private repositories too)', params: repoParams, produces: ['image/svg+xml'], response: { 200: z.string().describe('image/svg+xml'), 304: z.null(), 404: errorResponse } } },
    async (req, reply) => {
      const p = await petOf(req.params.owner, req.params.name, authOf(req).scope);
      return send(req, reply, creatureImage(p.entity_type, lookOf(p)));
    },
  );

  r.get(
    '/api/pets/:owner/:name/history',
    { schema: { tags: TAGS, summary: 'Every change of health (commit analyses, daily decay, manual resets, deaths, revives), oldest first', params: repoParams, querystring: historyQuery, response: { 200: page(historyItem), 400: errorResponse, 404: errorResponse } } },
    async (req) => {
      const p = await petOf(req.params.owner, req.params.name, authOf(req).scope);
      const after = req.query.cursor ? readPairCursor(req.query.cursor) : undefined;
      const rows = await repo.listHistory(db.kysely, { entityId: p.id, since: req.query.since ? new Date(req.query.since).toISOString() : undefined, limit: req.query.limit, after: after ? { occurred_at: after.at, id: after.id } : undefined });
      const items = rows.slice(0, req.query.limit);
      const last = items[items.length - 1];
      return { items: items.map(presentHistory), next_cursor: rows.length > req.query.limit && last ? pairCursor(last.occurred_at, last.id) : null };
    },
  );

  r.get(
    '/api/pets/:owner/:name/commits',
    { schema: { tags: TAGS, summary: 'Analysed commits with their breakdown, newest first', params: repoParams, querystring: pageQuery, response: { 200: page(commitItem), 400: errorResponse, 404: errorResponse } } },
    async (req) => {
      const p = await petOf(req.params.owner, req.params.name, authOf(req).scope);
      const after = req.query.cursor ? readPairCursor(req.query.cursor) : undefined;
      const rows = await repo.listAnalyses(db.kysely, { entityId: p.id, limit: req.query.limit, after: after ? { committed_at: after.at, id: after.id } : undefined });
      const items = rows.slice(0, req.query.limit);
      const last = items[items.length - 1];
      return { items: items.map(presentCommit), next_cursor: rows.length > req.query.limit && last ? pairCursor(last.committed_at, last.id) : null };
    },
  );

  r.get(
    '/api/pets/:owner/:name/commits/:sha',
    { schema: { tags: TAGS, summary: 'One commit’s analysis: each component’s points and reason, findings with file:line (secrets redacted), notes', params: shaParams, response: { 200: commitDetail, 404: errorResponse } } },
    async (req) => {
      const p = await petOf(req.params.owner, req.params.name, authOf(req).scope);
      const a = await repo.findAnalysis(db.kysely, p.id, req.params.sha);
      if (!a) throw new PetCommitNotFound(req.params.sha);
      return presentCommitDetail(a);
    },
  );

  r.patch(
    '/api/pets/:owner/:name',
    { schema: { tags: TAGS, summary: 'Change a pet: name, type, branch, decay, secret URL for a private repository’s images; health (administrators)', params: repoParams, body: patchBody, response: { 200: petItem, 400: errorResponse, 403: errorResponse, 404: errorResponse, 409: errorResponse } } },
    async (req) => {
      const auth = authOf(req);
      const p = await petOf(req.params.owner, req.params.name, auth.scope);
      await patchPet(deps, p, req.body, { name: viewerName(auth), isAdmin: auth.viewer.isAdmin });
      return presentPet(deps, await petOf(req.params.owner, req.params.name, auth.scope));
    },
  );

  r.post(
    '/api/pets/:owner/:name/revive',
    { schema: { tags: TAGS, summary: 'Revive a dead pet: health 50, next generation (its history stays)', params: repoParams, response: { 200: petItem, 404: errorResponse, 409: errorResponse } } },
    async (req) => {
      const auth = authOf(req);
      const p = await petOf(req.params.owner, req.params.name, auth.scope);
      await revive(deps, p, viewerName(auth));
      return presentPet(deps, await petOf(req.params.owner, req.params.name, auth.scope));
    },
  );

  r.post(
    '/api/pets/:owner/:name/reanalyze',
    { schema: { tags: TAGS, summary: 'Fetch and analyse what is new now (202); with history: true, the whole history again', params: repoParams, body: reanalyzeBody.optional(), response: { 202: accepted, 404: errorResponse } } },
    async (req, reply) => {
      const p = await petOf(req.params.owner, req.params.name, authOf(req).scope);
      const history = req.body?.history ?? false;
      await reanalyzePet(deps, p, history);
      return reply.code(202).send({ status: 'accepted', message: history ? 'the branch will be fetched and its whole history analysed again' : 'the branch will be fetched and new commits analysed' });
    },
  );
}
