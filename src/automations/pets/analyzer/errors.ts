/** The analyser's errors, each with a stable code and an HTTP status (src/http maps them). */
import { AppError } from '../../../http/app-error.js';

/** A range that cannot be passed to git (it would read as an option). */
export class InvalidRange extends AppError {
  constructor(readonly range: string) {
    super('PETS_INVALID_RANGE', 400, `invalid range ${JSON.stringify(range)}: expected 'A..B', a commit, or nothing`);
    this.name = 'InvalidRange';
  }
}

/** A git run of the analyser failed; `stderr` is git's own (no credential is ever on its argv). */
export class AnalyzerGitFailed extends AppError {
  constructor(
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super('PETS_ANALYZER_GIT_FAILED', 502, `git failed${exitCode === null ? '' : ` (exit ${exitCode})`}: ${stderr.trim().split('\n').slice(-3).join(' | ') || '(no output)'}`);
    this.name = 'AnalyzerGitFailed';
  }
}
