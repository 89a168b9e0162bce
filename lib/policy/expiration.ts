import { invalidRequest } from '../http/errors.js';
import type { LinkScope } from '../links/link.js';
import type { TenantSettings } from './tenantSettings.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** ISO 8601 date-time with a zone (Z or ±hh:mm); fractional seconds allowed. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** Graph's wire format: seconds precision, UTC, `Z`. */
export const wireDateTime = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export interface EffectiveExpiration {
  /** What the link will carry, or undefined for no expiry. */
  readonly value?: string;
  /**
   * What makes two requests ask for the same expiry. A policy default or cap is a moving instant, so it is keyed by
   * the policy rather than by the instant: asking twice for "the tenant's default" gets the same link.
   */
  readonly key: string;
}

export function parseExpiration(text: string, now = Date.now()): number {
  const ms = ISO_DATE_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) throw invalidRequest('expirationDateTime must be an ISO 8601 date-time with a time zone, such as 2027-01-01T00:00:00Z.');
  if (ms <= now) throw invalidRequest('expirationDateTime must be in the future.');
  return ms;
}

/**
 * Anonymous links are capped at the tenant's maximum and get it by default; the effective value is what the
 * answer shows (as SharePoint does, silently clamping). Other links keep what was asked.
 */
export function effectiveExpiration(
  requested: string | undefined,
  scope: LinkScope,
  settings: TenantSettings,
  now = Date.now(),
): EffectiveExpiration {
  const asked = requested === undefined ? undefined : parseExpiration(requested, now);
  const days = settings.requireAnonymousLinksExpireInDays;
  if (scope === 'anonymous' && days > 0) {
    const cap = now + days * DAY_MS;
    if (asked === undefined) return { value: wireDateTime(cap), key: `policy-default:${days}` };
    if (asked > cap) return { value: wireDateTime(cap), key: `policy-max:${days}` };
  }
  if (asked === undefined) return { key: 'none' };
  const value = wireDateTime(asked);
  return { value, key: value };
}
