import { itemNotFound } from '../lib/http/errors.js';
import type { Handler } from '../lib/http/pipeline.js';

/** Every route nobody else claims: Graph's 404 envelope rather than the host's empty page. */
export const makeNotFound = (): Handler => async () => {
  throw itemNotFound('The requested resource does not exist.');
};
