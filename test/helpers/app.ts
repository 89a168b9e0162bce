import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { registerFunctions } from '../../functions/register.js';
import { createServices, type ServiceOptions, type Services } from '../../lib/composition.js';
import { loadConfig, type Config } from '../../lib/config.js';
import { LocalHost } from '../../lib/host/localHost.js';
import { AUDIENCE, TestIdentityProvider } from './idp.js';

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface TestApp {
  readonly idp: TestIdentityProvider;
  readonly config: Config;
  readonly services: Services;
  /** Origin of the local host, e.g. http://127.0.0.1:41234 */
  readonly origin: string;
  /** Every log line the functions wrote, as text. */
  readonly logs: string[];
  call(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Answer>;
  close(): Promise<void>;
}

export const uniquePrefix = () => `t${randomBytes(6).toString('hex')}`;

/** The service as it runs: real config parsing, real Azurite tables (own prefix), real tokens, real HTTP. */
export async function startTestApp(
  options: { env?: Record<string, string>; services?: ServiceOptions; idp?: TestIdentityProvider; prefix?: string } = {},
): Promise<TestApp> {
  const idp = options.idp ?? (await TestIdentityProvider.start());
  const config = loadConfig({
    TABLES_CONNECTION_STRING: inject('tablesConnectionString'),
    TABLES_PREFIX: options.prefix ?? uniquePrefix(),
    AUTH_AUDIENCE: AUDIENCE,
    AUTH_JWKS_URI: idp.jwksUri,
    ...options.env,
  });
  // No cooldown between key refetches, so a rotation test need not wait out the production 30 s.
  const services = createServices(config, options.services ?? { keys: { cooldownMs: 0 } });
  const logs: string[] = [];
  const host = new LocalHost({ log: (level, ...args) => logs.push(`${level} ${args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ')}`) });
  registerFunctions(host, services);
  const origin = await host.listen(0);
  return {
    idp,
    config,
    services,
    origin,
    logs,
    async call(method, path, { token, body, headers = {} } = {}) {
      const response = await fetch(`${origin}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.status, headers: response.headers, body: parsed, text };
    },
    async close() {
      await host.close();
      if (!options.idp) await idp.close();
    },
  };
}

/** Asserts Graph's error envelope and returns it, so tests can check the code and message. */
export function expectGraphError(answer: Answer, status: number, code: string) {
  const failures: string[] = [];
  if (answer.status !== status) failures.push(`status ${answer.status} != ${status}`);
  if (answer.body?.error?.code !== code) failures.push(`code ${answer.body?.error?.code} != ${code}`);
  if (typeof answer.body?.error?.message !== 'string' || answer.body.error.message.length === 0) failures.push('no message');
  const inner = answer.body?.error?.innerError;
  if (!inner || typeof inner['request-id'] !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(inner.date)) failures.push('bad innerError');
  if (inner && answer.headers.get('request-id') !== inner['request-id']) failures.push('request-id header differs');
  if (!answer.headers.get('content-type')?.startsWith('application/json')) failures.push('not JSON');
  if (/at \S+\.(?:js|ts|mjs):\d+:\d+/.test(answer.text)) failures.push('stack trace leaked');
  if (failures.length > 0) throw new Error(`${failures.join('; ')}\n${answer.text}`);
  return answer.body.error as { code: string; message: string };
}
