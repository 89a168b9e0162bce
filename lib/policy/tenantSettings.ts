import { z } from 'zod';
import { LruCache } from '../cache.js';
import { PERSONAL_TENANT_ID } from '../config.js';
import { definedOnly } from '../objects.js';
import type { Table } from '../storage/tables.js';

export const SHARING_CAPABILITIES = [
  'disabled',
  'externalUserSharingOnly',
  'externalUserAndGuestSharing',
  'existingExternalUserSharingOnly',
] as const;

/** Graph's `sharepointSettings` subset that governs links (SPEC section 6); the last three are SharePoint extensions. */
export const tenantSettingsSchema = z.object({
  sharingCapability: z.enum(SHARING_CAPABILITIES),
  defaultSharingLinkType: z.enum(['internal', 'anonymousAccess', 'direct']),
  defaultLinkPermission: z.enum(['view', 'edit']),
  requireAnonymousLinksExpireInDays: z.number().int().min(0).max(730),
});

export type TenantSettings = z.output<typeof tenantSettingsSchema>;

export const DEFAULT_SETTINGS: TenantSettings = {
  sharingCapability: 'externalUserAndGuestSharing',
  defaultSharingLinkType: 'internal',
  defaultLinkPermission: 'view',
  requireAnonymousLinksExpireInDays: 0,
};

/**
 * How stale another instance's copy of a tenant's settings may be. Settings are read on every createLink, so they
 * are cached; a PATCH is visible at once on the instance that served it and within this bound everywhere else.
 */
export const SETTINGS_MAX_STALENESS_MS = 30_000;

const ROW_KEY = 'sharepointSettings';

export class TenantSettingsStore {
  private readonly cache: LruCache<string, TenantSettings>;

  constructor(
    private readonly table: Table,
    maxStalenessMs = SETTINGS_MAX_STALENESS_MS,
  ) {
    this.cache = new LruCache(10_000, maxStalenessMs);
  }

  async get(tenantId: string): Promise<TenantSettings> {
    if (tenantId === PERSONAL_TENANT_ID) return DEFAULT_SETTINGS;
    const cached = this.cache.get(tenantId);
    if (cached) return cached;
    const row = await this.table.get(tenantId, ROW_KEY);
    const stored = row ? tenantSettingsSchema.partial().safeParse(row) : undefined;
    const settings = { ...DEFAULT_SETTINGS, ...(stored?.success ? definedOnly(stored.data) : {}) };
    this.cache.set(tenantId, settings);
    return settings;
  }

  /** Merges the given properties into the tenant's settings (Graph PATCH semantics) and returns the result. */
  async update(tenantId: string, changes: Partial<TenantSettings>): Promise<TenantSettings> {
    await this.table.upsert({ partitionKey: tenantId, rowKey: ROW_KEY, ...definedOnly(changes) });
    this.cache.delete(tenantId);
    return this.get(tenantId);
  }
}
