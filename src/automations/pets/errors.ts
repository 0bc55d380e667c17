/** The pets' errors, each with a stable code and an HTTP status (src/http maps them). */
import { AppError } from '../../http/app-error.js';

/** No pet by that name that the viewer may see (or no such repository). */
export class PetNotFound extends AppError {
  constructor(what: string) {
    super('PET_NOT_FOUND', 404, `No pet for ${what}`);
  }
}

export class PetCommitNotFound extends AppError {
  constructor(sha: string) {
    super('PET_COMMIT_NOT_FOUND', 404, `No analysed commit ${sha} for this pet (give the full sha or an unambiguous prefix of at least 7 characters)`);
  }
}

/** Revive (or a health reset) on a pet in the wrong state. */
export class PetNotDead extends AppError {
  constructor(message = 'Only a dead pet can be revived') {
    super('PET_NOT_DEAD', 409, message);
  }
}

/** The pet's branch could not be fetched; the message is scrubbed of credentials. */
export class PetFetchFailed extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PET_FETCH_FAILED', 502, message, options);
  }
}
