import { z } from 'zod';

/** The personal-accounts (MSA) tenant: its users' drives are `personal`. */
export const PERSONAL_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';

const list = (value: string) =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

const nonEmpty = z.string().trim().min(1);

const httpUrl = nonEmpty.refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an http or https URL');

/**
 * Every setting the code reads, with its default. The Bicep template is checked against this list
 * (test/infra.test.ts), so a setting added here without being wired into the deployment fails a test.
 */
export const configSchema = z
  .object({
    TABLES_CONNECTION_STRING: nonEmpty.optional(),
    TABLES_ENDPOINT: httpUrl.optional(),
    TABLES_PREFIX: z
      .string()
      .trim()
      .regex(/^[A-Za-z][A-Za-z0-9]{0,39}$/, 'must be letters and digits, starting with a letter, at most 40')
      .default('sharing'),
    AUTH_AUDIENCE: nonEmpty.transform(list).pipe(z.array(z.string()).min(1, 'must name at least one audience')),
    AUTH_ISSUER: nonEmpty
      .default('https://login.microsoftonline.com/{tenantid}/v2.0,https://sts.windows.net/{tenantid}/')
      .transform(list)
      .pipe(z.array(z.string()).min(1)),
    AUTH_JWKS_URI: httpUrl.default('https://login.microsoftonline.com/common/discovery/v2.0/keys'),
    AUTH_ALLOWED_TENANTS: nonEmpty
      .default('*')
      .transform(list)
      .pipe(
        z.array(
          z.union([z.literal('*'), z.uuid({ message: 'must be tenant ids (GUIDs) or *' }).transform((id) => id.toLowerCase())]),
        ),
      ),
    PUBLIC_BASE_URL: httpUrl.transform((value) => new URL(value).origin).optional(),
    /** Local development only: a JSON Web Key Set file whose keys are trusted besides AUTH_JWKS_URI. Never deployed. */
    AUTH_DEV_JWKS_PATH: nonEmpty.optional(),
  })
  .superRefine((value, ctx) => {
    const given = [value.TABLES_CONNECTION_STRING, value.TABLES_ENDPOINT].filter(Boolean).length;
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [given === 0 ? 'TABLES_CONNECTION_STRING' : 'TABLES_ENDPOINT'],
        message:
          given === 0
            ? 'set exactly one of TABLES_CONNECTION_STRING (Azurite/local) or TABLES_ENDPOINT (managed identity)'
            : 'set only one of TABLES_CONNECTION_STRING and TABLES_ENDPOINT, not both',
      });
    }
  });

export type Config = z.output<typeof configSchema>;

/** Names of the settings the service reads; the deployment template must set the required ones. */
export const settingNames = Object.keys(configSchema.shape) as (keyof typeof configSchema.shape)[];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment once; the message names the first offending setting so start-up failures are obvious. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked = Object.fromEntries(
    settingNames.map((name) => [name, env[name] === undefined || env[name] === '' ? undefined : env[name]]),
  );
  const parsed = configSchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const setting = String(issue.path[0] ?? 'configuration');
    const message = issue.code === 'invalid_type' && picked[setting] === undefined ? 'is required' : issue.message;
    throw new ConfigError(`Invalid configuration: ${setting} ${message}`);
  }
  return parsed.data;
}
