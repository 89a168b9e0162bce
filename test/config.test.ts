import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../lib/config.js';

const base = { TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true', AUTH_AUDIENCE: 'api://x' };

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(base);
    expect(config.TABLES_PREFIX).toBe('sharing');
    expect(config.AUTH_AUDIENCE).toEqual(['api://x']);
    expect(config.AUTH_ISSUER).toEqual(['https://login.microsoftonline.com/{tenantid}/v2.0', 'https://sts.windows.net/{tenantid}/']);
    expect(config.AUTH_JWKS_URI).toBe('https://login.microsoftonline.com/common/discovery/v2.0/keys');
    expect(config.AUTH_ALLOWED_TENANTS).toEqual(['*']);
    expect(config.PUBLIC_BASE_URL).toBeUndefined();
    expect(config.AUTH_DEV_JWKS_PATH).toBeUndefined();
  });

  it('parses lists, normalizes tenant ids and the public origin', () => {
    const config = loadConfig({
      ...base,
      AUTH_AUDIENCE: 'api://a, 0000-client ',
      AUTH_ALLOWED_TENANTS: '11111111-1111-4111-8111-11111111111A,*',
      PUBLIC_BASE_URL: 'https://share.contoso.com/ignored/path',
    });
    expect(config.AUTH_AUDIENCE).toEqual(['api://a', '0000-client']);
    expect(config.AUTH_ALLOWED_TENANTS).toEqual(['11111111-1111-4111-8111-11111111111a', '*']);
    expect(config.PUBLIC_BASE_URL).toBe('https://share.contoso.com');
  });

  it.each([
    [{ AUTH_AUDIENCE: 'api://x' }, 'TABLES_CONNECTION_STRING'],
    [{ ...base, TABLES_ENDPOINT: 'https://a.table.core.windows.net' }, 'TABLES_ENDPOINT'],
    [{ TABLES_CONNECTION_STRING: 'x' }, 'AUTH_AUDIENCE'],
    [{ ...base, TABLES_PREFIX: 'has-dash' }, 'TABLES_PREFIX'],
    [{ ...base, AUTH_JWKS_URI: 'ftp://keys' }, 'AUTH_JWKS_URI'],
    [{ ...base, AUTH_ALLOWED_TENANTS: 'contoso' }, 'AUTH_ALLOWED_TENANTS'],
    [{ ...base, PUBLIC_BASE_URL: 'not a url' }, 'PUBLIC_BASE_URL'],
  ])('names the offending setting (%#)', (env, setting) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${setting} `));
  });

  it('accepts the managed-identity form', () => {
    const config = loadConfig({ TABLES_ENDPOINT: 'https://acct.table.core.windows.net', AUTH_AUDIENCE: 'api://x' });
    expect(config.TABLES_ENDPOINT).toBe('https://acct.table.core.windows.net');
  });
});
