import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export const BENCH_AUDIENCE = 'api://sharing-bench';
export const BENCH_TENANT = '33333333-3333-4333-8333-333333333333';
export const BENCH_APP = 'bbbbbbbb-0000-4000-8000-000000000001';

/** A stand-in for Entra ID's key endpoint on 127.0.0.1, and a signer of RS256 access tokens it vouches for. */
export class BenchIdentityProvider {
  fetches = 0;

  private constructor(
    private readonly server: Server,
    readonly jwksUri: string,
    private readonly kid: string,
    private readonly privateKey: CryptoKey,
  ) {}

  static async start(): Promise<BenchIdentityProvider> {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = randomUUID();
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    const body = JSON.stringify({ keys: [jwk] });
    let self: BenchIdentityProvider | undefined;
    const server = createServer((_request, response) => {
      if (self) self.fetches += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
    const { port } = server.address() as AddressInfo;
    self = new BenchIdentityProvider(server, `http://127.0.0.1:${port}/discovery/v2.0/keys`, kid, privateKey);
    return self;
  }

  /** A delegated token of a user of the bench tenant (default scope Files.ReadWrite, valid for 2 hours). */
  user(name: string, scopes = 'Files.ReadWrite'): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      tid: BENCH_TENANT,
      oid: randomUUID(),
      scp: scopes,
      azp: BENCH_APP,
      app_displayname: 'Bench Client',
      idtyp: 'user',
      name,
      preferred_username: `${name}@bench.example`,
      ver: '2.0',
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.kid })
      .setIssuer(`https://login.microsoftonline.com/${BENCH_TENANT}/v2.0`)
      .setAudience(BENCH_AUDIENCE)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 7200)
      .sign(this.privateKey);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}
