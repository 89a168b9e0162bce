import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import type { Services } from '../lib/composition.js';
import type { Drive } from '../lib/drives/drive.js';
import { itemPath } from '../lib/drives/views.js';
import { odataObject, parseWith, readJson } from '../lib/http/body.js';
import type { Handler } from '../lib/http/pipeline.js';
import { apiBase, driveRefOf, json, noContent, originOf } from '../lib/http/responses.js';
import { mayTouchDrive } from '../lib/identity/access.js';
import type { Principal } from '../lib/identity/principal.js';
import type { PermissionEntry } from '../lib/links/permissionService.js';
import { permissionView } from '../lib/links/permissionView.js';

/** `{drive}/root/permissions…` routes carry no item parameter: they act on the root. */
const itemRefOf = (request: HttpRequest) => request.params.itemId ?? 'root';

type Deps = Pick<Services, 'authenticate' | 'drives' | 'permissions' | 'config'>;

/** Graph's rule: shareId and webUrl only for callers who could create the link themselves. */
function entryView(entry: PermissionEntry, drive: Drive, principal: Principal, origin: string, context?: string) {
  const view = permissionView(entry.link, { origin, withSecrets: mayTouchDrive(principal, drive, 'write'), ...(context ? { context } : {}) });
  const from = entry.inheritedFrom;
  return from ? { ...view, inheritedFrom: { driveId: drive.id, id: from.id, path: itemPath(drive, from.path) } } : view;
}

/** GET {drive}/items/{itemId}/permissions */
export const makeListPermissions =
  ({ authenticate, drives, permissions, config }: Deps): Handler =>
  async (request) => {
    const principal = await authenticate(request.headers.get('authorization'));
    const drive = await drives.resolve(principal, driveRefOf(request.params), 'read');
    const { item, entries } = await permissions.list(drive, itemRefOf(request));
    const origin = originOf(request, config.PUBLIC_BASE_URL);
    return json(200, {
      '@odata.context': `${apiBase(origin)}/$metadata#drives('${drive.id}')/items('${item.id}')/permissions`,
      value: entries.map((entry) => entryView(entry, drive, principal, origin)),
    });
  };

const context = (origin: string) => `${apiBase(origin)}/$metadata#permission`;

/** GET {drive}/items/{itemId}/permissions/{permissionId} */
export const makeGetPermission =
  ({ authenticate, drives, permissions, config }: Deps): Handler =>
  async (request) => {
    const principal = await authenticate(request.headers.get('authorization'));
    const drive = await drives.resolve(principal, driveRefOf(request.params), 'read');
    const entry = await permissions.get(drive, itemRefOf(request), request.params.permissionId);
    const origin = originOf(request, config.PUBLIC_BASE_URL);
    return json(200, entryView(entry, drive, principal, origin, context(origin)), { ETag: entry.etag });
  };

const patchSchema = z.strictObject({
  expirationDateTime: z.string().max(64).nullable().optional(),
  password: z.string().min(1).max(256).nullable().optional(),
});

/** PATCH {drive}/items/{itemId}/permissions/{permissionId}: expirationDateTime (anonymous links) and password. */
export const makeUpdatePermission =
  ({ authenticate, drives, permissions, config }: Deps): Handler =>
  async (request) => {
    const principal = await authenticate(request.headers.get('authorization'));
    const changes = parseWith(patchSchema, odataObject(await readJson(request), { keepNulls: true }), 'permission');
    const drive = await drives.resolve(principal, driveRefOf(request.params), 'write');
    const entry = await permissions.update(drive, itemRefOf(request), request.params.permissionId, changes, request.headers.get('if-match'));
    const origin = originOf(request, config.PUBLIC_BASE_URL);
    return json(200, entryView(entry, drive, principal, origin, context(origin)), { ETag: entry.etag });
  };

/** DELETE {drive}/items/{itemId}/permissions/{permissionId}: 204; inherited 403; If-Match mismatch 412. */
export const makeDeletePermission =
  ({ authenticate, drives, permissions }: Deps): Handler =>
  async (request) => {
    const principal = await authenticate(request.headers.get('authorization'));
    const drive = await drives.resolve(principal, driveRefOf(request.params), 'write');
    await permissions.delete(drive, itemRefOf(request), request.params.permissionId, request.headers.get('if-match'));
    return noContent();
  };
