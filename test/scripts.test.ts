import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { freePort } from './helpers/azurite.js';
import { startTestApp, uniquePrefix, expectGraphError, type TestApp } from './helpers/app.js';
import { AUDIENCE, TestIdentityProvider } from './helpers/idp.js';

const run = promisify(execFile);
const dist = (script: string) => resolve('dist/scripts', script);

let idp: TestIdentityProvider;
beforeAll(async () => {
  idp = await TestIdentityProvider.start();
});
afterAll(() => idp.close());

describe('npm run serve (dist/scripts/serve.js)', () => {
  it('serves the registrations over HTTP on PORT, configured from the environment only', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [dist('serve.js')], {
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        TABLES_CONNECTION_STRING: inject('tablesConnectionString'),
        TABLES_PREFIX: uniquePrefix(),
        AUTH_AUDIENCE: AUDIENCE,
        AUTH_JWKS_URI: idp.jwksUri,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      await new Promise<void>((ready, fail) => {
        let output = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('listening on')) ready();
        });
        child.once('exit', (code) => fail(new Error(`serve exited with ${code}: ${output}`)));
      });
      const token = await idp.user('alice');
      const response = await fetch(`http://127.0.0.1:${port}/v1.0/me/drive/root`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { name: string }).name).toBe('root');
      const missing = await fetch(`http://127.0.0.1:${port}/nowhere`);
      expect(missing.status).toBe(404);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('stops at start-up with one clear message naming a missing setting', async () => {
    const failure = await run(process.execPath, [dist('serve.js')], { env: { PATH: process.env.PATH, TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true' } }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr.trim()).toBe('Invalid configuration: AUTH_AUDIENCE is required');
  });
});

describe('npm run token (dist/scripts/token.js)', () => {
  let folder: string;
  let trusting: TestApp;
  let strict: TestApp;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'sharing-token-'));
  });
  afterAll(async () => {
    await trusting?.close();
    await strict?.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('mints a token that only a service trusting the dev keys accepts', async () => {
    const { stdout } = await run(process.execPath, [dist('token.js'), '--user', 'alice', '--scopes', 'Files.ReadWrite'], {
      cwd: folder,
      env: { PATH: process.env.PATH, AUTH_AUDIENCE: AUDIENCE },
    });
    const token = stdout.trim();
    expect(token.split('.')).toHaveLength(3);
    trusting = await startTestApp({ idp, env: { AUTH_DEV_JWKS_PATH: join(folder, '.dev/jwks.json') } });
    const me = await trusting.call('GET', '/v1.0/me/drive', { token });
    expect(me.status).toBe(200);
    expect(me.body.owner.user.displayName).toBe('alice');
    strict = await startTestApp({ idp });
    expectGraphError(await strict.call('GET', '/v1.0/me/drive', { token }), 401, 'unauthenticated');
  });

  it('mints app-only tokens and personal-tenant tokens', async () => {
    const env = { PATH: process.env.PATH, AUTH_AUDIENCE: AUDIENCE };
    const daemon = (await run(process.execPath, [dist('token.js'), '--app', 'daemon'], { cwd: folder, env })).stdout.trim();
    expectGraphError(await trusting.call('GET', '/v1.0/me/drive', { token: daemon }), 400, 'invalidRequest');
    const personal = (await run(process.execPath, [dist('token.js'), '--user', 'bob', '--tenant', 'personal'], { cwd: folder, env })).stdout.trim();
    expect((await trusting.call('GET', '/v1.0/me/drive', { token: personal })).body.driveType).toBe('personal');
  });
});
