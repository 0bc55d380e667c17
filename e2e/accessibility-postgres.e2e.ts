/**
 * Accessibility of every dashboard page on PostgreSQL: the check of e2e/accessibility.e2e.ts
 * (e2e/support/accessibility-pages.ts), in a file of its own so it runs beside the SQLite half.
 */
import { describeAccessibility } from './support/accessibility-pages.js';

describeAccessibility('postgres');
