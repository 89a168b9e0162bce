import type { Services } from '../lib/composition.js';
import type { Registration } from '../lib/http/pipeline.js';

/** The pages a link opens in a browser (`/s/{token}`, `/embed/{token}`), outside the `v1.0/` API. */
export function pageRegistrations(_services: Services): Registration[] {
  return [];
}
