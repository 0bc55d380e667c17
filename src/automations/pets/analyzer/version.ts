/** Bumped whenever a score for the same commit could change. Stored with every analysis. */
export const ANALYZER_VERSION = '1.0.0';
