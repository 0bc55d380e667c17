/**
 * The pets' rules, pure (no database, no clock of their own): type from language, the generated
 * name, bands, life states, what a commit does to health, and which days decay.
 *
 * Health is an integer 0–100, starting at 100. A commit moves it by its `health_delta` (clamped
 * into 0–100) when it is recent enough and the pet is alive; merges move nothing. An alive pet
 * with no commit for `graceDays` loses `decayPerDay` a day; a pet whose health stayed at 0 for
 * seven days dies. A revive restarts a dead pet at 50, one generation later.
 */
import crypto from 'node:crypto';
import type { Applied, Band, EntityType, LifeState } from './tables.js';

export const START_HEALTH = 100;
export const REVIVE_HEALTH = 50;
export const DEATH_AFTER_DAYS_AT_ZERO = 7;
const DAY_MS = 86_400_000;

const ROBOT = new Set(['c', 'c++', 'go', 'rust', 'zig', 'assembly', 'objective-c', 'cuda']);
const PLANT = new Set(['python', 'jupyter notebook', 'cython']);
const PET = new Set(['javascript', 'typescript', 'vue', 'svelte', 'coffeescript', 'astro']);
const GOLEM = new Set(['java', 'kotlin', 'scala', 'groovy', 'clojure', 'c#', 'f#', 'visual basic .net']);

/** The creature a language makes: robot (C/C++/Go/Rust), plant (Python), pet (JS/TS), golem (JVM, C#), blob. */
export function typeFromLanguage(language: string | null | undefined): EntityType {
  const l = (language ?? '').trim().toLowerCase();
  if (ROBOT.has(l)) return 'robot';
  if (PLANT.has(l)) return 'plant';
  if (PET.has(l)) return 'pet';
  if (GOLEM.has(l)) return 'golem';
  return 'blob';
}

const ADJECTIVES = [
  'Brave', 'Sleepy', 'Clever', 'Fuzzy', 'Gentle', 'Mighty', 'Quiet', 'Rusty', 'Sunny', 'Witty',
  'Bouncy', 'Curious', 'Dapper', 'Eager', 'Jolly', 'Lucky', 'Nimble', 'Plucky', 'Zesty', 'Cosmic',
  'Tiny', 'Grumpy', 'Humble', 'Spry', 'Snug', 'Breezy', 'Misty', 'Chirpy', 'Dusty', 'Velvet',
];
const NOUNS = [
  'Pixel', 'Sprocket', 'Bramble', 'Widget', 'Noodle', 'Pebble', 'Biscuit', 'Gizmo', 'Clover', 'Comet',
  'Mochi', 'Quark', 'Sprout', 'Tofu', 'Waffle', 'Button', 'Cinder', 'Fennel', 'Gadget', 'Kernel',
  'Marble', 'Nugget', 'Pickle', 'Rivet', 'Socket', 'Thimble', 'Turnip', 'Whisker', 'Yarrow', 'Zephyr',
];

/** A name from the GitHub repository id: the same id always gets the same name. */
export function generatedName(githubRepositoryId: number): string {
  const h = crypto.createHash('sha256').update(`switchyard-pet:${githubRepositoryId}`).digest();
  return `${ADJECTIVES[h.readUInt16BE(0) % ADJECTIVES.length]} ${NOUNS[h.readUInt16BE(2) % NOUNS.length]}`;
}

/** thriving ≥ 80, healthy ≥ 60, okay ≥ 40, poor ≥ 20, dying < 20. */
export function bandOf(health: number): Band {
  if (health >= 80) return 'thriving';
  if (health >= 60) return 'healthy';
  if (health >= 40) return 'okay';
  if (health >= 20) return 'poor';
  return 'dying';
}

/** The life state of a living pet at this health. */
export function livingState(health: number): Exclude<LifeState, 'dead'> {
  return health < 20 ? 'dying' : 'alive';
}

export function clampHealth(n: number): number {
  return Math.max(0, Math.min(100, Math.round(n)));
}

/** What the pet looks like to the rules. */
export interface PetState {
  health: number;
  life_state: LifeState;
  zero_since: string | null;
}

/** The outcome of one change of health. */
export interface HealthChange {
  before: number;
  after: number;
  life_state: LifeState;
  zero_since: string | null;
}

/** Moves health by `delta` at time `at` (no-op for a dead pet). */
export function moveHealth(p: PetState, delta: number, at: string): HealthChange {
  if (p.life_state === 'dead') return { before: p.health, after: p.health, life_state: 'dead', zero_since: p.zero_since };
  const after = clampHealth(p.health + delta);
  const zero_since = after === 0 ? (p.health === 0 && p.zero_since ? p.zero_since : at) : null;
  return { before: p.health, after, life_state: livingState(after), zero_since };
}

/** Whether a commit moves health, and why not when it does not. */
export function commitEffect(p: { life_state: LifeState }, c: { isMerge: boolean; committedAt: string }, now: Date, windowDays: number): Applied {
  if (c.isMerge) return 'merge';
  if (p.life_state === 'dead') return 'dead';
  if (Date.parse(c.committedAt) < now.getTime() - windowDays * DAY_MS) return 'too_old';
  return 'applied';
}

/** YYYY-MM-DD (UTC) of a time. */
export function utcDay(d: Date | string): string {
  return (typeof d === 'string' ? new Date(d) : d).toISOString().slice(0, 10);
}

function addDays(day: string, n: number): string {
  return utcDay(new Date(Date.parse(`${day}T00:00:00.000Z`) + n * DAY_MS));
}

/** What decay needs to know about a pet. */
export interface DecayInput {
  life_state: LifeState;
  /** Newest analysed commit (null: an empty repository, which never decays). */
  last_commit_at: string | null;
  born_at: string;
  last_decay_on: string | null;
  archived: boolean;
  decayPerDay: number;
}

/**
 * The days (YYYY-MM-DD, oldest first) that decay applies to when it runs on `today`: every day
 * after the grace period that has not had its decay yet, up to today. A day the scheduler missed is
 * in the next run's list once; a day already applied (`last_decay_on`) never is again.
 */
export function decayDays(p: DecayInput, today: string, graceDays: number): string[] {
  if (p.life_state === 'dead' || p.archived || p.last_commit_at === null || p.decayPerDay <= 0) return [];
  const lastActive = [p.last_commit_at, p.born_at].map((t) => utcDay(t)).sort().pop()!;
  let first = addDays(lastActive, graceDays + 1);
  if (p.last_decay_on !== null && p.last_decay_on >= first) first = addDays(p.last_decay_on, 1);
  const days: string[] = [];
  for (let d = first; d <= today && days.length < 366; d = addDays(d, 1)) days.push(d);
  return days;
}

/** True when a pet at 0 since `zeroSince` has been there long enough to die at `now`. */
export function deathDue(p: { health: number; life_state: LifeState; zero_since: string | null }, now: Date): boolean {
  return p.life_state !== 'dead' && p.health === 0 && p.zero_since !== null && Date.parse(p.zero_since) <= now.getTime() - DEATH_AFTER_DAYS_AT_ZERO * DAY_MS;
}
