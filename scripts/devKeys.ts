import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

/**
 * The local dev-token issuer: an RSA key pair kept in `.dev/` (git-ignored), made on first use. Its public half is
 * what AUTH_DEV_JWKS_PATH points at, a setting only local.settings.json has, so deployed instances never trust it.
 */
export const DEV_DIR = resolve('.dev');
export const DEV_JWKS_PATH = resolve(DEV_DIR, 'jwks.json');
const DEV_PRIVATE_PATH = resolve(DEV_DIR, 'private.jwk.json');

export async function ensureDevKeys(): Promise<{ privateJwk: JWK }> {
  if (existsSync(DEV_PRIVATE_PATH) && existsSync(DEV_JWKS_PATH)) {
    return { privateJwk: JSON.parse(await readFile(DEV_PRIVATE_PATH, 'utf8')) as JWK };
  }
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `dev-${randomUUID()}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256' };
  await mkdir(dirname(DEV_PRIVATE_PATH), { recursive: true });
  await writeFile(DEV_PRIVATE_PATH, JSON.stringify(privateJwk), { mode: 0o600 });
  await writeFile(DEV_JWKS_PATH, JSON.stringify({ keys: [publicJwk] }, null, 2));
  return { privateJwk };
}

export const importDevKey = (jwk: JWK) => importJWK(jwk, 'RS256');
