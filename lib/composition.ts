import type { Config } from './config.js';
import { DriveService } from './drives/driveService.js';
import { ItemService } from './drives/itemService.js';
import { currentScope } from './http/requestScope.js';
import { createAuthenticator, type Authenticate, type KeySetOptions } from './identity/tokens.js';
import { LinkService } from './links/linkService.js';
import { PermissionService } from './links/permissionService.js';
import { ShareResolver } from './links/shareResolver.js';
import { TenantSettingsStore } from './policy/tenantSettings.js';
import { createTables, type Tables } from './storage/tables.js';

/** Everything a handler may depend on, built once per process. */
export interface Services {
  readonly config: Config;
  readonly tables: Tables;
  readonly authenticate: Authenticate;
  readonly drives: DriveService;
  readonly items: ItemService;
  readonly settings: TenantSettingsStore;
  readonly links: LinkService;
  readonly shares: ShareResolver;
  readonly permissions: PermissionService;
}

export interface ServiceOptions {
  readonly keys?: KeySetOptions;
  /** Staleness bound of cached tenant settings on other instances (default 30 s). */
  readonly settingsMaxStalenessMs?: number;
}

/** The composition root: clients, key sets and caches are created here once, never per request. */
export function createServices(config: Config, options: ServiceOptions = {}): Services {
  const tables = createTables(config);
  const verify = createAuthenticator(config, options.keys);
  const items = new ItemService(tables.drives);
  const settings = new TenantSettingsStore(tables.tenants, options.settingsMaxStalenessMs);
  const drives = new DriveService(tables.drives);
  return {
    config,
    tables,
    authenticate: async (authorization) => {
      const principal = await verify(authorization);
      const scope = currentScope();
      if (scope) scope.tenantId = principal.tenantId;
      return principal;
    },
    drives,
    items,
    settings,
    links: new LinkService(tables.drives, items, settings),
    shares: new ShareResolver(tables.drives, drives, items),
    permissions: new PermissionService(tables.drives, items, settings),
  };
}
