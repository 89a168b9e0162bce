import type { HttpRequest } from '@azure/functions';
import type { Services } from '../lib/composition.js';
import { itemView, ownerOf } from '../lib/drives/views.js';
import { itemNotFound, unauthenticated } from '../lib/http/errors.js';
import type { Handler } from '../lib/http/pipeline.js';
import { apiBase, json, originOf } from '../lib/http/responses.js';
import { permissionView } from '../lib/links/permissionView.js';
import { tokenOf, type Share } from '../lib/links/shareResolver.js';

type Deps = Pick<Services, 'authenticate' | 'shares' | 'config'>;

/**
 * `/shares/{shareIdOrEncodedSharingUrl}`: anonymous links need no token; organization and users links need one
 * (401 without); anything unusable — unknown, expired, deleted, forbidden, wrong or missing X-Sharing-Password —
 * is 404, so nothing leaks about links the caller may not use.
 */
async function resolveShare({ authenticate, shares }: Deps, request: HttpRequest): Promise<Share> {
  const token = tokenOf(request.params.shareId ?? '');
  const authorization = request.headers.get('authorization');
  const principal = authorization === null ? undefined : await authenticate(authorization);
  const password = request.headers.get('x-sharing-password') ?? undefined;
  const resolution = token === undefined ? ({ status: 'notFound' } as const) : await shares.resolve(token, { principal, password });
  switch (resolution.status) {
    case 'ok':
      return resolution.share;
    case 'signInRequired':
      throw unauthenticated();
    case 'passwordRequired':
      throw itemNotFound('The sharing link does not exist, has expired, or needs the right password (X-Sharing-Password).');
    case 'notFound':
      throw itemNotFound('The sharing link does not exist or has expired.');
  }
}

/** GET /shares/{shareId}: the `sharedDriveItem`. */
export const makeGetShare =
  (deps: Deps): Handler =>
  async (request) => {
    const share = await resolveShare(deps, request);
    const origin = originOf(request, deps.config.PUBLIC_BASE_URL);
    return json(200, {
      '@odata.context': `${apiBase(origin)}/$metadata#shares/$entity`,
      id: request.params.shareId,
      name: share.item.name,
      owner: ownerOf(share.drive),
    });
  };

/** GET /shares/{shareId}/driveItem: the shared item as it is now. */
export const makeGetSharedItem =
  (deps: Deps): Handler =>
  async (request) => {
    const share = await resolveShare(deps, request);
    return json(200, itemView(share.drive, share.item, originOf(request, deps.config.PUBLIC_BASE_URL)));
  };

/** GET /shares/{shareId}/permission: the link itself. */
export const makeGetSharedPermission =
  (deps: Deps): Handler =>
  async (request) => {
    const share = await resolveShare(deps, request);
    const origin = originOf(request, deps.config.PUBLIC_BASE_URL);
    return json(200, permissionView(share.link, { origin, withSecrets: true, context: `${apiBase(origin)}/$metadata#permission` }));
  };
