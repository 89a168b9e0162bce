import { existsSync, readFileSync } from 'node:fs';

/**
 * The Values of local.settings.json, as `func start` would apply them: they fill in what the environment leaves
 * unset, never override it.
 */
export function localSettings(path = 'local.settings.json'): Record<string, string> {
  if (!existsSync(path)) return {};
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { Values?: Record<string, string> };
  return parsed.Values ?? {};
}

export const withLocalSettings = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...localSettings(), ...env });
