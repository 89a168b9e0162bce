import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export const AUDIENCE = 'api://sharing-test';
export const TENANT_A = '11111111-1111-4111-8111-111111111111';
export const TENANT_B = '22222222-2222-4222-8222-222222222222';
export const PERSONAL_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
export const CLIENT_APP = 'aaaaaaaa-0000-4000-8000-000000000001';
export const OTHER_APP = 'aaaaaaaa-0000-4000-8000-000000000002';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function newKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** Deterministic per-name GUIDs so tests read like prose ("alice", "bob"). */
export function guid(name: string): string {
  let hash = 0n;
  for (const char of name) hash = (hash * 131n + BigInt(char.codePointAt(0)!)) % 2n ** 120n;
  const hex = hash.toString(16).padStart(30, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(12, 15)}-8${hex.slice(15, 18)}-${hex.slice(18, 30)}`;
}

export interface UserOptions {
  tenant?: string;
  oid?: string;
  scopes?: string;
  groups?: string[];
  appId?: string;
  appName?: string | null;
  name?: string;
  username?: string;
  email?: string;
}

export interface AppOptions {
  tenant?: string;
  oid?: string;
  roles?: string[];
  appId?: string;
  appName?: string | null;
}

/**
 * A stand-in for Entra ID: real RSA keys, a real JWKS endpoint over HTTP, and tokens signed with jose.
 * It can rotate keys and misbehave (down, slow) for the fault tests.
 */
export class TestIdentityProvider {
  private keys: SigningKey[] = [];
  mode: 'ok' | 'down' | 'slow' = 'ok';
  fetches = 0;

  private constructor(
    private readonly server: Server,
    readonly jwksUri: string,
  ) {}

  static async start(): Promise<TestIdentityProvider> {
    let self: TestIdentityProvider | undefined;
    const server = createServer((request, response) => {
      const idp = self!;
      idp.fetches += 1;
      if (idp.mode === 'down') {
        response.writeHead(503).end();
        return;
      }
      const answer = () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ keys: idp.keys.map((key) => key.publicJwk) }));
      };
      if (idp.mode === 'slow') setTimeout(answer, 10_000).unref();
      else answer();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
    const { port } = server.address() as AddressInfo;
    self = new TestIdentityProvider(server, `http://127.0.0.1:${port}/discovery/v2.0/keys`);
    self.keys.push(await newKey());
    return self;
  }

  /** Adds a new signing key; later tokens are signed with it (the old one stays published unless dropped). */
  async rotate(dropOld = false): Promise<void> {
    const key = await newKey();
    this.keys = dropOld ? [key] : [...this.keys, key];
  }

  private get current(): SigningKey {
    return this.keys.at(-1)!;
  }

  async sign(
    claims: Record<string, unknown>,
    options: { issuer?: string; audience?: string; expiresIn?: number; notBefore?: number; key?: CryptoKey; kid?: string } = {},
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const tenant = typeof claims.tid === 'string' ? claims.tid : TENANT_A;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: options.kid ?? this.current.kid })
      .setIssuer(options.issuer ?? `https://login.microsoftonline.com/${tenant}/v2.0`)
      .setAudience(options.audience ?? AUDIENCE)
      .setIssuedAt(now)
      .setNotBefore(options.notBefore ?? now)
      .setExpirationTime(now + (options.expiresIn ?? 3600))
      .sign(options.key ?? this.current.privateKey);
  }

  user(name: string, options: UserOptions = {}): Promise<string> {
    const tenant = options.tenant ?? TENANT_A;
    return this.sign({
      tid: tenant,
      oid: options.oid ?? guid(`${tenant}:${name}`),
      scp: options.scopes ?? 'Files.ReadWrite',
      azp: options.appId ?? CLIENT_APP,
      ...(options.appName === null ? {} : { app_displayname: options.appName ?? 'Contoso Client' }),
      idtyp: 'user',
      name,
      preferred_username: options.username ?? `${name}@contoso.example`,
      ...(options.email ? { email: options.email } : {}),
      ...(options.groups ? { groups: options.groups } : {}),
      ver: '2.0',
    });
  }

  app(name: string, options: AppOptions = {}): Promise<string> {
    const tenant = options.tenant ?? TENANT_A;
    return this.sign({
      tid: tenant,
      oid: options.oid ?? guid(`${tenant}:app:${name}`),
      roles: options.roles ?? ['Files.ReadWrite.All'],
      azp: options.appId ?? CLIENT_APP,
      ...(options.appName === null ? {} : { app_displayname: options.appName ?? name }),
      idtyp: 'app',
      ver: '2.0',
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}

export const oidOf = (name: string, tenant = TENANT_A) => guid(`${tenant}:${name}`);
