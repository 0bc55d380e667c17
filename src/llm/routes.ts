/** The LLM slice's API (filled in below). */
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/index.js';
import type { ManageDeps } from './manage.js';
import type { PriceTable } from './prices.js';

export interface LlmRoutesDeps {
  db: Database;
  manage: ManageDeps;
  prices: PriceTable;
  reprice: () => Promise<{ repriced: number; stillUnpriced: number }>;
}

export async function llmRoutes(app: FastifyInstance, deps: LlmRoutesDeps): Promise<void> {
  void app;
  void deps;
}
