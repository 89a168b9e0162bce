import { createHash, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { PERSONAL_TENANT_ID } from '../lib/config.js';
import { GUID } from '../lib/objects.js';
import { ensureDevKeys, importDevKey } from './devKeys.js';
import { withLocalSettings } from './localSettings.js';

const usage = `Usage: npm run -s token -- [options]   (prints a dev access token on stdout)

  --user <name|oid>      delegated token for this user (default: alice)
  --app <name|id>        app-only token for this service principal instead of a user
  --tenant <name|tid>    tenant (default: contoso); "personal" = the personal-accounts tenant
  --scopes "<a b>"       delegated scopes (default: "Files.ReadWrite")
  --roles "<a b>"        application permissions for --app (default: "Files.ReadWrite.All")
  --groups "<g1,g2>"     group ids the user is a member of (names become deterministic GUIDs)
  --client <name|id>     calling application (azp) (default: dev-client)
  --client-name <text>   app_displayname (default: "Dev Client")
  --minutes <n>          lifetime (default: 60)

Names are turned into stable GUIDs, so "--user alice --tenant contoso" is the same user every time.`;

/** A stable GUID for a human-friendly name; GUIDs pass through. */
export function guidFor(kind: string, value: string): string {
  if (GUID.test(value)) return value.toLowerCase();
  const hex = createHash('sha256').update(`${kind}:${value}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

async function main() {
  const { values } = parseArgs({
    options: {
      user: { type: 'string' },
      app: { type: 'string' },
      tenant: { type: 'string', default: 'contoso' },
      scopes: { type: 'string', default: 'Files.ReadWrite' },
      roles: { type: 'string', default: 'Files.ReadWrite.All' },
      groups: { type: 'string', default: '' },
      client: { type: 'string', default: 'dev-client' },
      'client-name': { type: 'string', default: 'Dev Client' },
      minutes: { type: 'string', default: '60' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const env = withLocalSettings(process.env);
  const audience = (env.AUTH_AUDIENCE ?? '').split(',')[0]?.trim();
  if (!audience) throw new Error('AUTH_AUDIENCE is not set (local.settings.json normally sets it).');
  const tenantId = values.tenant === 'personal' ? PERSONAL_TENANT_ID : guidFor('tenant', values.tenant);
  const appOnly = values.app !== undefined;
  const subject = appOnly ? values.app! : (values.user ?? 'alice');
  const claims: Record<string, unknown> = {
    tid: tenantId,
    oid: guidFor(`${appOnly ? 'app' : 'user'}:${tenantId}`, subject),
    azp: guidFor('client', values.client),
    app_displayname: values['client-name'],
    ver: '2.0',
  };
  if (appOnly) {
    claims.idtyp = 'app';
    claims.roles = values.roles.split(/[ ,]+/).filter(Boolean);
  } else {
    claims.idtyp = 'user';
    claims.scp = values.scopes.split(/[ ,]+/).filter(Boolean).join(' ');
    claims.name = subject;
    claims.preferred_username = subject.includes('@') ? subject : `${subject}@${values.tenant}.example`;
    const groups = values.groups.split(',').map((group) => group.trim()).filter(Boolean);
    if (groups.length > 0) claims.groups = groups.map((group) => guidFor(`group:${tenantId}`, group));
  }
  const { privateJwk } = await ensureDevKeys();
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: privateJwk.kid! })
    .setIssuer(`https://login.microsoftonline.com/${tenantId}/v2.0`)
    .setAudience(audience)
    .setSubject(String(claims.oid))
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + Number(values.minutes) * 60)
    .sign(await importDevKey(privateJwk));
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
