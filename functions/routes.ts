import type { Services } from '../lib/composition.js';
import { ALL_METHODS, type Handler, type Registration } from '../lib/http/pipeline.js';
import { makeCreateChild } from './createChild.js';
import { makeCreateLink } from './createLink.js';
import { makeDeleteItem } from './deleteItem.js';
import { makeDeletePermission, makeGetPermission, makeListPermissions, makeUpdatePermission } from './permissions.js';
import { makeGetShare, makeGetSharedItem, makeGetSharedPermission } from './shares.js';
import { makeGetDrive } from './getDrive.js';
import { makeGetItem } from './getItem.js';
import { makeNotFound } from './notFound.js';
import { pageRegistrations } from './pages.js';
import { makeGetTenantSettings, makePatchTenantSettings } from './tenantSettings.js';

/**
 * Every route template of the service, in one place. Each becomes one HTTP function (under `func start` and in the
 * project's local host alike); host.json sets an empty routePrefix, so API templates carry `v1.0/` themselves.
 */
export const DRIVE_PREFIXES = [
  { name: 'Drives', template: 'v1.0/drives/{driveId}' },
  { name: 'Me', template: 'v1.0/me/drive' },
  { name: 'Users', template: 'v1.0/users/{userId}/drive' },
  { name: 'Groups', template: 'v1.0/groups/{groupId}/drive' },
  { name: 'Sites', template: 'v1.0/sites/{siteId}/drive' },
] as const;

type HandlerName =
  | 'getDrive'
  | 'getItem'
  | 'deleteItem'
  | 'createChild'
  | 'createLink'
  | 'listPermissions'
  | 'getPermission'
  | 'updatePermission'
  | 'deletePermission';

type Operation = { name: string; suffix: string; methods: Partial<Record<'GET' | 'POST' | 'PATCH' | 'DELETE', HandlerName>> };

/** Operations on one item, each also reachable on the root as `{drive}/root…` (as Graph allows and SDK samples use). */
const ITEM_OPERATIONS: readonly (Operation & { param: 'itemId' | 'parentId' })[] = [
  { name: 'children', param: 'parentId', suffix: '/children', methods: { POST: 'createChild' } },
  { name: 'createLink', param: 'itemId', suffix: '/createLink', methods: { POST: 'createLink' } },
  { name: 'permissions', param: 'itemId', suffix: '/permissions', methods: { GET: 'listPermissions' } },
  {
    name: 'permission',
    param: 'itemId',
    suffix: '/permissions/{permissionId}',
    methods: { GET: 'getPermission', PATCH: 'updatePermission', DELETE: 'deletePermission' },
  },
];

export const DRIVE_OPERATIONS: readonly Operation[] = [
  { name: 'drive', suffix: '', methods: { GET: 'getDrive' } },
  { name: 'root', suffix: '/root', methods: { GET: 'getItem' } },
  { name: 'item', suffix: '/items/{itemId}', methods: { GET: 'getItem', DELETE: 'deleteItem' } },
  // The root variants carry no item parameter: the adapters then act on the root.
  ...ITEM_OPERATIONS.flatMap(({ name, param, suffix, methods }) => [
    { name, suffix: `/items/{${param}}${suffix}`, methods },
    { name: `root${name[0]!.toUpperCase()}${name.slice(1)}`, suffix: `/root${suffix}`, methods },
  ]),
];

/** Lowest precedence everywhere: literal segments win over it, so it only catches what no other function claims. */
export const CATCH_ALL_ROUTE = '{*path}';

export function registrations(services: Services): Registration[] {
  const handlers: Record<HandlerName, Handler> = {
    getDrive: makeGetDrive(services),
    getItem: makeGetItem(services),
    createChild: makeCreateChild(services),
    createLink: makeCreateLink(services),
    deleteItem: makeDeleteItem(services),
    listPermissions: makeListPermissions(services),
    getPermission: makeGetPermission(services),
    updatePermission: makeUpdatePermission(services),
    deletePermission: makeDeletePermission(services),
  };
  const driveRoutes = DRIVE_PREFIXES.flatMap((prefix) =>
    DRIVE_OPERATIONS.map((operation) => ({
      name: `${operation.name}${prefix.name}`,
      route: `${prefix.template}${operation.suffix}`,
      methods: Object.fromEntries(Object.entries(operation.methods).map(([method, handler]) => [method, handlers[handler]])),
    })),
  );
  const tenantRoutes: Registration[] = [
    { name: 'tenantSettings', route: 'v1.0/admin/sharepoint/settings', methods: { GET: makeGetTenantSettings(services), PATCH: makePatchTenantSettings(services) } },
    { name: 'share', route: 'v1.0/shares/{shareId}', methods: { GET: makeGetShare(services) } },
    { name: 'shareDriveItem', route: 'v1.0/shares/{shareId}/driveItem', methods: { GET: makeGetSharedItem(services) } },
    { name: 'sharePermission', route: 'v1.0/shares/{shareId}/permission', methods: { GET: makeGetSharedPermission(services) } },
  ];
  const notFound = makeNotFound();
  return [...driveRoutes, ...tenantRoutes, ...pageRegistrations(services), { name: 'notFound', route: CATCH_ALL_ROUTE, methods: Object.fromEntries(ALL_METHODS.map((method) => [method, notFound])) }];
}
