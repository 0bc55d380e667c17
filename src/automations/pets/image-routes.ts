/**
 * The public images, at stable addresses for a README:
 * - `GET /pets/:owner/:name.svg`: the creature (its type in its band, or dead);
 * - `GET /pets/:owner/:name/badge.svg`: a shields-style badge (name | health band).
 *
 * No credentials (GitHub's camo proxy fetches them). `Cache-Control: no-cache` with a strong
 * `ETag`, and `304 Not Modified` on a matching `If-None-Match`: camo revalidates every time, so a
 * push shows as soon as health moves. A private repository's images answer 404 unless its pet has a
 * secret URL (`?key=…`, compared in constant time); an unknown repository answers 404 with a
 * neutral image, so a broken link still draws something.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../db/index.js';
import { toBool } from '../../db/index.js';
import type { SecretBox } from '../../identity/index.js';
import { badgeSvg } from './art/badge.js';
import { creatureSvg, LOOKS, neutralSvg, type Look } from './art/creatures.js';
import { SECRET_COLUMN } from './present.js';
import * as repo from './repo.js';
import { bandOf } from './rules.js';
import { ENTITY_TYPES, type EntityType } from './tables.js';

export interface ImageDeps {
  db: Database;
  box: SecretBox;
}

export interface Image {
  body: string;
  etag: string;
}

const etagOf = (body: string) => `"${crypto.createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`;
const image = (body: string): Image => ({ body, etag: etagOf(body) });

/** The 30 creatures, drawn once. */
const CREATURES = new Map<string, Image>(ENTITY_TYPES.flatMap((t) => LOOKS.map((l) => [`${t}:${l}`, image(creatureSvg(t, l))] as const)));
const NEUTRAL = image(neutralSvg());
const NEUTRAL_BADGE = image(badgeSvg('pet', 'unknown', 'dead'));

export function lookOf(p: { health: number; life_state: string }): Look {
  return p.life_state === 'dead' ? 'dead' : bandOf(p.health);
}

/** The creature of a type in a look (for the dashboard's pages too). */
export function creatureImage(type: EntityType, look: Look): Image {
  return CREATURES.get(`${type}:${look}`)!;
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/** Sends an SVG with its ETag, no-cache, and 304 when the client has it. */
export function send(req: FastifyRequest, reply: FastifyReply, img: Image, status = 200): FastifyReply {
  void reply
    .header('content-type', 'image/svg+xml; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('etag', img.etag)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
  if (status === 200 && matches(req.headers['if-none-match'], img.etag)) return reply.code(304).send();
  return reply.code(status).send(img.body);
}

function secretMatches(box: SecretBox, sealed: string | null, given: string | undefined): boolean {
  if (!sealed || !given) return false;
  let secret: string;
  try {
    secret = box.open(sealed, SECRET_COLUMN);
  } catch {
    return false;
  }
  const a = crypto.createHash('sha256').update(secret).digest();
  const b = crypto.createHash('sha256').update(given).digest();
  return crypto.timingSafeEqual(a, b);
}

/** The pet a public image may show, or null (unknown, or private without the right key). */
async function visiblePet(deps: ImageDeps & { lookup: (fullName: string) => Promise<repo.PetRow | undefined> }, owner: string, name: string, key: string | undefined): Promise<repo.PetRow | null> {
  const p = await deps.lookup(`${owner}/${name}`);
  if (!p) return null;
  if (toBool(p.is_private) && !secretMatches(deps.box, p.badge_secret, key)) return null;
  return p;
}

const imageQuery = z.object({ key: z.string().max(200).optional().describe('The secret of a private repository’s pet') });
const svgResponse = { 200: z.string().describe('image/svg+xml'), 304: z.null(), 404: z.string().describe('image/svg+xml: a neutral image') };

export async function imageRoutes(app: FastifyInstance, deps: ImageDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const lookup = repo.publicPetLookup(deps.db.kysely);
  const d = { ...deps, lookup };
  const common = { tags: ['pets'], security: [], querystring: imageQuery, produces: ['image/svg+xml'] };

  r.get(
    '/pets/:owner/:file(^.+\\.svg$)',
    {
      config: { auth: 'none' },
      schema: { ...common, summary: 'The creature of a repository’s pet (SVG; public, ETag, no-cache)', params: z.object({ owner: z.string().max(100), file: z.string().max(110).describe('<name>.svg') }), response: svgResponse },
    },
    async (req, reply) => {
      const p = await visiblePet(d, req.params.owner, req.params.file.replace(/\.svg$/, ''), req.query.key);
      if (!p) return send(req, reply, NEUTRAL, 404);
      return send(req, reply, CREATURES.get(`${p.entity_type}:${lookOf(p)}`) ?? NEUTRAL);
    },
  );

  r.get(
    '/pets/:owner/:name/badge.svg',
    {
      config: { auth: 'none' },
      schema: { ...common, summary: 'A shields-style badge for a repository’s pet: name, health, band (SVG; public, ETag, no-cache)', params: z.object({ owner: z.string().max(100), name: z.string().max(100) }), response: svgResponse },
    },
    async (req, reply) => {
      const p = await visiblePet(d, req.params.owner, req.params.name, req.query.key);
      if (!p) return send(req, reply, NEUTRAL_BADGE, 404);
      const look = lookOf(p);
      return send(req, reply, image(badgeSvg(p.name, look === 'dead' ? 'dead' : `${p.health} ${look}`, look)));
    },
  );
}
