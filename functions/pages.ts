import type { Services } from '../lib/composition.js';
import type { Handler, Registration } from '../lib/http/pipeline.js';
import { linkPage } from '../lib/pages/linkPage.js';

/**
 * The pages a link opens in a browser, outside the `v1.0/` API. They run through `dispatch` like every route
 * (request id, 405 for other methods, one log line that names the route template, never the token or password),
 * but render their own HTML for every expected outcome; only unexpected errors reach dispatch's JSON 500.
 *
 * - `s/{token}` (the link's `webUrl`): GET shows the item page, POST submits the password form
 *   (`application/x-www-form-urlencoded`, field `password`, at most 64 KiB). Never framable.
 * - `embed/{token}` (the `src` of `webHtml`, embed links only): a minimal page of the item that any site may frame,
 *   with the same password form when the link has a password.
 *
 * Status codes: 200 item page · 401 password form (first view, missing or wrong password) · 401 sign-in notice for
 * organization/people links without a valid sign-in (a bad bearer token counts as no sign-in) · 404 unknown, expired,
 * deleted or forbidden link, all alike (and non-embed links on `embed/`) · 413 form over 64 KiB · 415 body that is
 * not form-urlencoded · 503 storage or signing keys unreachable · 405 (JSON, from the pipeline) other methods.
 */
export function pageRegistrations(services: Services): Registration[] {
  const share: Handler = (request) => linkPage(services, request, 'share');
  const embed: Handler = (request) => linkPage(services, request, 'embed');
  return [
    { name: 'sharePage', route: 's/{token}', methods: { GET: share, POST: share } },
    { name: 'embedPage', route: 'embed/{token}', methods: { GET: embed, POST: embed } },
  ];
}
