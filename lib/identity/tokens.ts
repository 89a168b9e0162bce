import { readFile } from 'node:fs/promises';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import type { Config } from '../config.js';
import { GraphError, serviceNotAvailable, unauthenticated } from '../http/errors.js';
import { claimsSchema, principalFromClaims, type Principal } from './principal.js';

const CLOCK_SKEW_SECONDS = 60;
const MAX_TOKEN_LENGTH = 16 * 1024;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface KeySetOptions {
  /** How long fetched keys are trusted before a refetch; Entra rotates keys over days. */
  cacheMaxAgeMs?: number;
  /** Minimum time between refetches triggered by unknown `kid`s, so garbage tokens cannot hammer the key endpoint. */
  cooldownMs?: number;
  /** Upper bound on one key fetch: a slow key endpoint must not hold requests hostage. */
  timeoutMs?: number;
}

export type Authenticate = (authorization: string | null) => Promise<Principal>;

/**
 * Verifies Entra ID access tokens the way Graph's front door does: RS256 only, key by `kid` from the JWKS endpoint
 * (refetched when an unknown `kid` shows up), issuer per tenant, audience, expiry and not-before with 60 s of skew.
 */
export function createAuthenticator(config: Config, options: KeySetOptions = {}): Authenticate {
  const remote = createRemoteJWKSet(new URL(config.AUTH_JWKS_URI), {
    cacheMaxAge: options.cacheMaxAgeMs ?? 6 * 60 * 60 * 1000,
    cooldownDuration: options.cooldownMs ?? 30_000,
    timeoutDuration: options.timeoutMs ?? 3_000,
  });
  const keys = config.AUTH_DEV_JWKS_PATH ? withDevKeys(remote, config.AUTH_DEV_JWKS_PATH) : remote;
  const allowed = new Set(config.AUTH_ALLOWED_TENANTS);

  return async (authorization) => {
    const token = bearerToken(authorization);
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
    return principal;
  };
}

function bearerToken(authorization: string | null): string {
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(authorization ?? '');
  if (!match) throw unauthenticated();
  const token = match[1]!;
  if (token.length > MAX_TOKEN_LENGTH) throw unauthenticated('The access token is malformed.');
  return token;
}

/** Token faults are 401; not being able to get the keys at all is our problem, so 503 and the client retries. */
function verificationError(error: unknown): GraphError {
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return serviceNotAvailable();
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
