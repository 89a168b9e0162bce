import { hash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { LruCache } from '../cache.js';
import { definedOnly, GUID } from '../objects.js';
import type { Config } from '../config.js';
import { GraphError, serviceNotAvailable, unauthenticated } from '../http/errors.js';
import { claimsSchema, principalFromClaims, type Principal } from './principal.js';

const CLOCK_SKEW_SECONDS = 60;
const MAX_TOKEN_LENGTH = 16 * 1024;

export interface KeySetOptions {
  /** How long fetched keys are trusted before a refetch; Entra rotates keys over days. */
  cacheMaxAgeMs?: number;
  /** Minimum time between refetches triggered by unknown `kid`s, so garbage tokens cannot hammer the key endpoint. */
  cooldownMs?: number;
  /** Upper bound on one key fetch: a slow key endpoint must not hold requests hostage. */
  timeoutMs?: number;
  /**
   * How long past `cacheMaxAgeMs` the last keys fetched stay trusted while the key endpoint cannot be reached
   * (stale-if-error); after that, requests answer 503 until it answers again.
   */
  maxStaleMs?: number;
  /** Verified tokens remembered per instance (by SHA-256 digest), each until it expires but at most `tokenCacheMaxAgeMs`. */
  tokenCacheSize?: number;
  tokenCacheMaxAgeMs?: number;
}

export const KEY_DEFAULTS = {
  cacheMaxAgeMs: 6 * 60 * 60 * 1000,
  cooldownMs: 30_000,
  timeoutMs: 3_000,
  maxStaleMs: 24 * 60 * 60 * 1000,
  tokenCacheSize: 10_000,
  tokenCacheMaxAgeMs: 10 * 60 * 1000,
} as const;

/** A retry of a failed key fetch waits at most this long (or the cooldown, when shorter). */
const FAILED_FETCH_BACKOFF_MS = 5_000;

export type Authenticate = (authorization: string | null) => Promise<Principal>;

/** The key endpoint could not be reached, timed out or answered something that is not a key set: our problem, 503. */
class KeysUnavailable extends Error {
  override readonly name = 'KeysUnavailable';
}

/**
 * Verifies Entra ID access tokens the way Graph's front door does: RS256 only, key by `kid` from the JWKS endpoint
 * (refetched when an unknown `kid` shows up), issuer per tenant, audience, expiry and not-before with 60 s of skew.
 * A token that verified is remembered (by digest) until it expires, at most 10 minutes, so a client reusing its
 * token (as every Graph client does) costs one signature check per instance, not one per request.
 */
export function createAuthenticator(config: Config, options: KeySetOptions = {}): Authenticate {
  const settings = { ...KEY_DEFAULTS, ...definedOnly(options) };
  const remote = new RemoteKeySet(new URL(config.AUTH_JWKS_URI), settings).getKey;
  const keys = config.AUTH_DEV_JWKS_PATH ? withDevKeys(remote, config.AUTH_DEV_JWKS_PATH) : remote;
  const allowed = new Set(config.AUTH_ALLOWED_TENANTS);
  const verified = new LruCache<string, { principal: Principal; until: number }>(settings.tokenCacheSize);

  return async (authorization) => {
    const token = bearerToken(authorization);
    const digest = hash('sha256', token, 'base64url');
    const known = verified.get(digest);
    if (known) {
      if (known.until > Date.now()) return known.principal;
      verified.delete(digest);
    }
    let header;
    let unverified;
    try {
      header = decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch {
      throw unauthenticated('The access token is malformed.');
    }
    if (header.alg !== 'RS256') throw unauthenticated('The token signing algorithm is not supported.');
    const tenantId = typeof unverified.tid === 'string' ? unverified.tid.toLowerCase() : '';
    if (!GUID.test(tenantId)) throw unauthenticated('The token has no valid tenant.');
    if (!allowed.has('*') && !allowed.has(tenantId)) throw unauthenticated('The tenant is not allowed.');

    let payload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: ['RS256'],
        issuer: config.AUTH_ISSUER.map((template) => template.replaceAll('{tenantid}', tenantId)),
        audience: config.AUTH_AUDIENCE,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp', 'tid', 'oid'],
      }));
    } catch (error) {
      throw verificationError(error);
    }
    const claims = claimsSchema.safeParse(payload);
    const principal = claims.success ? principalFromClaims(claims.data) : undefined;
    if (!principal) throw unauthenticated('The token is missing required claims.');
    // jwtVerify checked `exp` (required, a number) with the skew; the token stays good exactly that long.
    const expiresAt = ((payload.exp as number) + CLOCK_SKEW_SECONDS) * 1000;
    verified.set(digest, { principal, until: Math.min(expiresAt, Date.now() + settings.tokenCacheMaxAgeMs) });
    return principal;
  };
}

/**
 * The signing keys of AUTH_JWKS_URI, fetched on first use (never at start-up) and then:
 * - refetched when a token names an unknown `kid` (at most once per cooldown), so a rotation needs no restart;
 * - refreshed in the background once older than `cacheMaxAgeMs`, requests meanwhile using the keys at hand;
 * - kept (stale-if-error) while the endpoint fails, up to `maxStaleMs` past their age limit.
 * One fetch at a time, each bounded by `timeoutMs`. When the keys needed cannot be had, `KeysUnavailable` (503).
 */
class RemoteKeySet {
  private local: { get: JWTVerifyGetKey; kids: ReadonlySet<string> } | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private lastFailed = false;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly url: URL,
    private readonly settings: Required<Pick<KeySetOptions, 'cacheMaxAgeMs' | 'cooldownMs' | 'timeoutMs' | 'maxStaleMs'>>,
  ) {}

  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const trustLimit = this.settings.cacheMaxAgeMs + this.settings.maxStaleMs;
    if (!this.local || Date.now() - this.fetchedAt > trustLimit) {
      // Nothing (still) trustworthy at hand: this request has to wait for the endpoint.
      await this.refreshIfAllowed();
      if (!this.local || Date.now() - this.fetchedAt > trustLimit) throw new KeysUnavailable('no signing keys');
    } else if (Date.now() - this.fetchedAt > this.settings.cacheMaxAgeMs && !this.pending && this.mayFetch()) {
      this.refresh().catch(() => undefined);
    }
    if (typeof header.kid === 'string' && !this.local.kids.has(header.kid)) {
      await this.refreshIfAllowed();
      // A kid the key set fetched just now does not have is the token's problem: jose answers JWKSNoMatchingKey (401).
    }
    return this.local.get(header, token);
  };

  /** Waits for a fetch in flight or starts one if the cooldown allows; throws KeysUnavailable if the endpoint failed. */
  private async refreshIfAllowed(): Promise<void> {
    if (this.pending) await this.pending;
    else if (this.mayFetch()) await this.refresh();
    else if (this.lastFailed) throw new KeysUnavailable('signing keys unavailable');
  }

  private mayFetch(): boolean {
    const wait = this.lastFailed ? Math.min(this.settings.cooldownMs, FAILED_FETCH_BACKOFF_MS) : this.settings.cooldownMs;
    return Date.now() - this.attemptedAt >= wait;
  }

  private refresh(): Promise<void> {
    this.pending ??= this.fetchKeys().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetchKeys(): Promise<void> {
    this.attemptedAt = Date.now();
    try {
      const response = await fetch(this.url, {
        redirect: 'manual',
        headers: { accept: 'application/json, application/jwk-set+json' },
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      if (response.status !== 200) throw new Error(`status ${response.status}`);
      const set = (await response.json()) as JSONWebKeySet;
      const get = createLocalJWKSet(set);
      this.local = { get, kids: new Set(set.keys.map((key) => key.kid).filter((kid): kid is string => typeof kid === 'string')) };
      this.fetchedAt = Date.now();
      this.lastFailed = false;
    } catch (error) {
      this.lastFailed = true;
      throw new KeysUnavailable(`signing keys could not be fetched: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}


function bearerToken(authorization: string | null): string {
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(authorization ?? '');
  if (!match) throw unauthenticated();
  const token = match[1]!;
  if (token.length > MAX_TOKEN_LENGTH) throw unauthenticated('The access token is malformed.');
  return token;
}

/**
 * Token faults are 401; not being able to get the keys is our problem, so 503 (with Retry-After) and the client
 * retries. A kid the freshly fetched key set does not have is the token's fault: 401.
 */
function verificationError(error: unknown): GraphError {
  if (error instanceof KeysUnavailable || error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return serviceNotAvailable();
  if (error instanceof errors.JWTExpired) return unauthenticated('The token is expired.');
  if (error instanceof errors.JWTClaimValidationFailed) return unauthenticated(`The token's '${error.claim}' claim is not accepted.`);
  if (error instanceof errors.JOSEError) return unauthenticated('The token could not be verified.');
  // Not a JOSE error: the key endpoint could not be reached or answered garbage.
  return serviceNotAvailable();
}

/** Keys of the local dev-token issuer (see `npm run token`), read once, trusted only when the setting is present. */
function withDevKeys(remote: JWTVerifyGetKey, path: string): JWTVerifyGetKey {
  let local: Promise<{ kids: Set<string>; get: JWTVerifyGetKey } | undefined> | undefined;
  const load = () =>
    (local ??= readFile(path, 'utf8').then(
      (text) => {
        const set = JSON.parse(text) as JSONWebKeySet;
        return { kids: new Set(set.keys.map((key) => key.kid ?? '')), get: createLocalJWKSet(set) };
      },
      () => {
        local = undefined;
        return undefined;
      },
    ));
  return async (header, token) => {
    const dev = await load();
    if (dev && header.kid && dev.kids.has(header.kid)) return dev.get(header, token);
    return remote(header, token);
  };
}
