/**
 * Static checks of the deployment template (infra/, azure.yaml). No Bicep compiler exists on our machines, so
 * these read the Bicep text with a small literal/comment-aware scanner and check what a compiler would not:
 * that the app settings match what the code reads (lib/config.ts), that no key-based access sneaks in, that role
 * ids are the right ones, and the plumbing between files (module params, parameter file, azure.yaml).
 * Each helper is exercised on a known snippet first, so a parser that silently finds nothing fails loudly.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { configSchema, settingNames } from '../lib/config.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const infraDir = join(root, 'infra');

// ---------------------------------------------------------------------------------------------------------------
// A minimal Bicep scanner
// ---------------------------------------------------------------------------------------------------------------

interface Scan {
  /** The source with comments replaced by spaces (same length, same line breaks). */
  readonly code: string;
  /** `code` with the inside of every string literal (interpolations included) blanked: only structure is left. */
  readonly structure: string;
  /** `code` with literal text blanked but interpolated expressions kept: every expression of the file. */
  readonly expressions: string;
  /** The text of every string literal (multi-line ones included), as written. */
  readonly literals: string[];
  readonly errors: string[];
}

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

function scanBicep(text: string): Scan {
  const code = [...text];
  const structure = [...text];
  const expressions = [...text];
  const literals: string[] = [];
  const errors: string[] = [];
  const blank = (views: string[][], from: number, to: number) => {
    for (let k = from; k < to && k < text.length; k++) for (const view of views) if (text[k] !== '\n') view[k] = ' ';
  };
  // Modes: inside a string literal, or inside a `${...}` of one (with its own brace depth).
  type Mode = { kind: 'string'; start: number } | { kind: 'interp'; depth: number };
  const stack: Mode[] = [];
  let i = 0;
  while (i < text.length) {
    const top = stack.at(-1);
    const ch = text[i]!;
    const next = text[i + 1];
    if (top?.kind === 'string') {
      if (ch === '\\') {
        blank([structure, expressions], i, i + 2);
        i += 2;
      } else if (ch === '$' && next === '{') {
        blank([structure, expressions], i, i + 2);
        stack.push({ kind: 'interp', depth: 0 });
        i += 2;
      } else if (ch === "'") {
        stack.pop();
        literals.push(text.slice(top.start + 1, i));
        if (stack.length > 0) blank([structure, expressions], i, i + 1);
        i += 1;
      } else {
        blank([structure, expressions], i, i + 1);
        i += 1;
      }
      continue;
    }
    if (ch === '/' && next === '/') {
      const end = text.indexOf('\n', i) === -1 ? text.length : text.indexOf('\n', i);
      blank([code, structure, expressions], i, end);
      i = end;
      continue;
    }
    if (ch === '/' && next === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close === -1) errors.push(`unterminated /* comment at line ${lineOf(text, i)}`);
      const end = close === -1 ? text.length : close + 2;
      blank([code, structure, expressions], i, end);
      i = end;
      continue;
    }
    if (top === undefined && text.startsWith("'''", i)) {
      const close = text.indexOf("'''", i + 3);
      if (close === -1) errors.push(`unterminated ''' string at line ${lineOf(text, i)}`);
      const end = close === -1 ? text.length : close;
      literals.push(text.slice(i + 3, end));
      blank([structure, expressions], i + 3, end);
      i = end + 3;
      continue;
    }
    if (ch === "'") {
      if (stack.length > 0) blank([structure, expressions], i, i + 1);
      stack.push({ kind: 'string', start: i });
      i += 1;
      continue;
    }
    if (top?.kind === 'interp') {
      // Inside an interpolation: part of the literal for the structure view, an expression otherwise.
      blank([structure], i, i + 1);
      if (ch === '{') top.depth += 1;
      if (ch === '}') {
        if (top.depth === 0) {
          blank([expressions], i, i + 1);
          stack.pop();
        } else top.depth -= 1;
      }
    }
    i += 1;
  }
  for (const mode of stack) if (mode.kind === 'string') errors.push(`unterminated string at line ${lineOf(text, mode.start)}`);
  if (stack.some((mode) => mode.kind === 'interp')) errors.push('unterminated ${...} interpolation');
  return { code: code.join(''), structure: structure.join(''), expressions: expressions.join(''), literals, errors };
}

const pairs: Record<string, string> = { '}': '{', ']': '[', ')': '(' };

/** Unbalanced or mismatched (, [, { outside literals and comments. */
function bracketErrors(scan: Scan): string[] {
  const errors = [...scan.errors];
  const open: { ch: string; index: number }[] = [];
  const text = scan.structure;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '{' || ch === '[' || ch === '(') open.push({ ch, index: i });
    else if (ch in pairs) {
      const last = open.pop();
      if (last === undefined) errors.push(`unexpected '${ch}' at line ${lineOf(text, i)}`);
      else if (last.ch !== pairs[ch])
        errors.push(`'${ch}' at line ${lineOf(text, i)} closes '${last.ch}' of line ${lineOf(text, last.index)}`);
    }
  }
  for (const left of open) errors.push(`'${left.ch}' at line ${lineOf(text, left.index)} is never closed`);
  return errors;
}

function closingIndex(scan: Scan, openIndex: number): number {
  let depth = 0;
  for (let i = openIndex; i < scan.structure.length; i++) {
    const ch = scan.structure[i]!;
    if (ch === '{' || ch === '[' || ch === '(') depth += 1;
    else if (ch in pairs && --depth === 0) return i;
  }
  throw new Error(`no closing bracket for line ${lineOf(scan.code, openIndex)}`);
}

interface Value {
  readonly raw: string;
  /** Index of the value's first character in the file. */
  readonly index: number;
}

/** Elements (for `[`) or `key: value` pairs (for `{`) at the top level of the literal opening at `openIndex`. */
function members(scan: Scan, openIndex: number): Value[] {
  const close = closingIndex(scan, openIndex);
  const parts: Value[] = [];
  let depth = 0;
  let start = openIndex + 1;
  const flush = (end: number) => {
    const raw = scan.code.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    if (raw.trim() !== '') parts.push({ raw: raw.trim(), index: start + lead });
    start = end + 1;
  };
  for (let i = openIndex + 1; i < close; i++) {
    const ch = scan.structure[i]!;
    if (ch === '{' || ch === '[' || ch === '(') depth += 1;
    else if (ch in pairs) depth -= 1;
    else if (depth === 0 && (ch === '\n' || ch === ',')) flush(i);
  }
  flush(close);
  return parts;
}

function objectProps(scan: Scan, openIndex: number): Map<string, Value> {
  if (scan.structure[openIndex] !== '{') throw new Error(`not an object at line ${lineOf(scan.code, openIndex)}`);
  const props = new Map<string, Value>();
  for (const part of members(scan, openIndex)) {
    const match = /^('[^']*'|[A-Za-z_]\w*)\s*:\s*/.exec(part.raw);
    if (!match) throw new Error(`not a property: ${part.raw} (line ${lineOf(scan.code, part.index)})`);
    const key = match[1]!.replace(/^'|'$/g, '');
    props.set(key, { raw: part.raw.slice(match[0].length).trim(), index: part.index + match[0].length });
  }
  return props;
}

/** Follows a path of property names through nested object literals. */
function prop(scan: Scan, openIndex: number, ...path: string[]): Value | undefined {
  let index = openIndex;
  let value: Value | undefined;
  for (const [step, key] of path.entries()) {
    const props = objectProps(scan, index);
    // Property names are case-insensitive in ARM (e.g. Application Insights' DisableLocalAuth).
    value = [...props.entries()].find(([name]) => name.toLowerCase() === key.toLowerCase())?.[1];
    if (value === undefined) return undefined;
    if (step < path.length - 1) {
      if (scan.structure[value.index] !== '{') return undefined;
      index = value.index;
    }
  }
  return value;
}

const unquote = (raw: string) => (/^'[^']*'$/.test(raw) ? raw.slice(1, -1) : undefined);

interface BicepFile {
  readonly path: string;
  readonly text: string;
  readonly scan: Scan;
}

interface Resource {
  readonly symbol: string;
  readonly type: string;
  readonly apiVersion: string;
  readonly existing: boolean;
  /** Index of the `{` that opens the body. */
  readonly body: number;
  readonly file: BicepFile;
}

function resources(file: BicepFile): Resource[] {
  const found: Resource[] = [];
  const pattern = /^[ \t]*resource\s+(\w+)\s+'([^'@]+)@([^']+)'\s*(existing\s*)?=/gm;
  for (const match of file.scan.code.matchAll(pattern)) {
    const body = file.scan.structure.indexOf('{', match.index + match[0].length);
    found.push({ symbol: match[1]!, type: match[2]!, apiVersion: match[3]!, existing: Boolean(match[4]), body, file });
  }
  return found;
}

interface ModuleUse {
  readonly symbol: string;
  readonly path: string;
  readonly params: Map<string, Value>;
  readonly file: BicepFile;
}

function modules(file: BicepFile): ModuleUse[] {
  const found: ModuleUse[] = [];
  for (const match of file.scan.code.matchAll(/^[ \t]*module\s+(\w+)\s+'([^']+)'\s*=/gm)) {
    const body = file.scan.structure.indexOf('{', match.index + match[0].length);
    const params = prop(file.scan, body, 'params');
    found.push({
      symbol: match[1]!,
      path: match[2]!,
      params: params ? objectProps(file.scan, params.index) : new Map(),
      file,
    });
  }
  return found;
}

interface Param {
  readonly type: string;
  /** Raw default expression, when there is one. */
  readonly default?: string;
}

function params(scan: Scan): Map<string, Param> {
  const found = new Map<string, Param>();
  for (const match of scan.code.matchAll(/^[ \t]*param\s+(\w+)\s+(\w+)(?:[ \t]*=[ \t]*(.+?))?[ \t]*$/gm)) {
    found.set(match[1]!, match[3] === undefined ? { type: match[2]! } : { type: match[2]!, default: match[3] });
  }
  return found;
}

const keywords = new Set(
  ('targetScope param var resource module output type func import metadata existing if for in true false null ' +
    'string int bool object array any sys az with as').split(' '),
);

/** Names the file declares: params, vars, resources, modules, outputs, loop variables and lambda parameters. */
function declarations(scan: Scan): Set<string> {
  const names = new Set<string>();
  const text = scan.expressions;
  for (const match of text.matchAll(/^[ \t]*(?:param|var|resource|module|output|type|func)\s+(\w+)/gm)) names.add(match[1]!);
  for (const match of text.matchAll(/\bfor\s+(\w+)\s+in\b/g)) names.add(match[1]!);
  for (const match of text.matchAll(/\bfor\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)\s+in\b/g)) names.add(match[1]!).add(match[2]!);
  for (const match of text.matchAll(/\b(\w+)\s*=>/g)) names.add(match[1]!);
  for (const match of text.matchAll(/\(([\w\s,]*)\)\s*=>/g))
    for (const name of match[1]!.split(',')) if (name.trim()) names.add(name.trim());
  return names;
}

/** Every identifier used as a value (not a property key, member, function or decorator name), with its line. */
function references(scan: Scan): { name: string; line: number; index: number }[] {
  const text = scan.expressions;
  const found: { name: string; line: number; index: number }[] = [];
  for (const match of text.matchAll(/[A-Za-z_]\w*/g)) {
    const name = match[0];
    const before = text.slice(0, match.index).trimEnd();
    const after = text.slice(match.index + name.length);
    if (keywords.has(name)) continue;
    if (/[.@#]$|::$|\d$/.test(before)) continue; // member access, decorator, child resource, number suffix
    if (/^\s*\(/.test(after)) continue; // function call
    // A property key (or the middle of a ternary: ignored), but not the collection of a `for x in items:` loop.
    if (/^[ \t]*:(?!:)/.test(after) && !/\bin$/.test(before)) continue;
    if (/^[ \t]*(?:param|var|resource|module|output|type|func)$/.test(before.split('\n').at(-1) ?? '')) continue; // declaration
    if (/^[ \t]*(?:param|output)\s+\w+$/.test(before.split('\n').at(-1) ?? '')) continue; // the type after a name
    found.push({ name, line: lineOf(text, match.index), index: match.index });
  }
  return found;
}

function undeclared(scan: Scan): string[] {
  const declared = declarations(scan);
  return references(scan)
    .filter((ref) => !declared.has(ref.name))
    .map((ref) => `${ref.name} (line ${ref.line})`);
}

interface AppSetting {
  readonly name: string;
  readonly value: string;
}

/** The name/value pairs of every `appSettings: [ {name: '...', value: ...} ]` array in the file. */
function appSettings(scan: Scan): AppSetting[] {
  const settings: AppSetting[] = [];
  for (const match of scan.structure.matchAll(/\bappSettings\s*:\s*\[/g)) {
    const open = match.index + match[0].length - 1;
    for (const element of members(scan, open)) {
      const props = objectProps(scan, element.index);
      const name = unquote(props.get('name')?.raw ?? '');
      const value = props.get('value')?.raw;
      if (name === undefined || value === undefined || props.size !== 2)
        throw new Error(`app setting at line ${lineOf(scan.code, element.index)} is not {name: '<literal>', value: ...}`);
      settings.push({ name, value });
    }
  }
  return settings;
}

function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) bits -= (count / text.length) * Math.log2(count / text.length);
  return bits;
}

/** Key material, tokens, connection strings: what must never be written into a template. */
function secretLike(text: string): string[] {
  const hits: string[] = [];
  for (const word of ['password', 'accountkey', 'sharedaccesssignature', 'sharedaccesskey', 'defaultendpointsprotocol', 'instrumentationkey='])
    if (text.toLowerCase().includes(word)) hits.push(word);
  if (/\b(?:sig|sv|se|sp)=[^&\s']+&/i.test(text)) hits.push('SAS query');
  if (/eyJ[\w-]{10,}\.[\w-]{10,}/.test(text)) hits.push('JWT');
  // Base64 and base64url runs; '-' and '.' break up URLs and resource paths, which are not keys.
  for (const match of text.matchAll(/[A-Za-z0-9+/]{32,}={0,2}|[A-Za-z0-9_-]{32,}/g)) {
    const token = match[0];
    if (/\d/.test(token) && /[A-Z]/.test(token) && /[a-z]/.test(token) && entropy(token) >= 4)
      hits.push(`high-entropy ${token.slice(0, 6)}…`);
  }
  return hits;
}

// ---------------------------------------------------------------------------------------------------------------
// The template
// ---------------------------------------------------------------------------------------------------------------

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path, suffix) : path.endsWith(suffix) ? [path] : [];
  });
}

const bicepFiles: BicepFile[] = filesUnder(infraDir, '.bicep')
  .sort()
  .map((path) => {
    const text = readFileSync(path, 'utf8');
    return { path: relative(root, path).replaceAll('\\', '/'), text, scan: scanBicep(text) };
  });
const mainFile = bicepFiles.find((file) => file.path === 'infra/main.bicep');
const allResources = bicepFiles.flatMap(resources);
const allSettings = bicepFiles.flatMap((file) => appSettings(file.scan));

function main(): BicepFile {
  if (!mainFile) throw new Error('infra/main.bicep is missing');
  return mainFile;
}

function only(type: string): Resource {
  const matches = allResources.filter((resource) => resource.type === type && !resource.existing);
  expect(matches.map((resource) => `${resource.file.path}:${resource.symbol}`), type).toHaveLength(1);
  return matches[0]!;
}

const propOf = (resource: Resource, ...path: string[]) => prop(resource.file.scan, resource.body, ...path)?.raw;

/** The main.bicep parameters a module parameter is computed from (e.g. `api` module, `param` of app/api.bicep). */
function mainParamsFeeding(moduleSymbol: string, moduleParam: string): string[] {
  const use = modules(main()).find((module) => module.symbol === moduleSymbol);
  const raw = use?.params.get(moduleParam)?.raw;
  if (raw === undefined) return [];
  const declared = params(main().scan);
  return [...new Set(references(scanBicep(raw)).map((ref) => ref.name))].filter((name) => declared.has(name));
}

/** The main.bicep parameter a module parameter is passed straight from. */
function mainParamFeeding(moduleSymbol: string, moduleParam: string): string | undefined {
  const use = modules(main()).find((module) => module.symbol === moduleSymbol);
  const raw = use?.params.get(moduleParam)?.raw;
  return raw !== undefined && params(main().scan).has(raw) ? raw : undefined;
}

/** The api.bicep parameter a property is set from, traced to main.bicep. */
function tracedDefault(resource: Resource, ...path: string[]): string | undefined {
  const raw = propOf(resource, ...path);
  if (raw === undefined || !params(resource.file.scan).has(raw)) return undefined;
  const feeding = mainParamFeeding('api', raw);
  return feeding === undefined ? undefined : params(main().scan).get(feeding)?.default;
}

// Built-in role definition ids: https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
const builtInRoles: Record<string, string> = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Storage Table Data Reader': '76199698-9eea-4c19-bc75-cec21354c6b6',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
};
const roleKey = (name: string) => name.replace(/\s+/g, '').toLowerCase();

/** The `var roles = { key: '<guid>' }` map, keys matched to built-in role names. */
function roleMap(): { file: BicepFile; roles: Map<string, { name: string | undefined; id: string }> } {
  for (const file of bicepFiles) {
    const match = /^[ \t]*var\s+roles\s*=\s*\{/m.exec(file.scan.structure);
    if (!match) continue;
    const roles = new Map<string, { name: string | undefined; id: string }>();
    for (const [key, value] of objectProps(file.scan, match.index + match[0].length - 1)) {
      const name = Object.keys(builtInRoles).find((role) => roleKey(role) === key.toLowerCase());
      roles.set(key, { name, id: unquote(value.raw) ?? value.raw });
    }
    return { file, roles };
  }
  throw new Error('no `var roles = {...}` map of role definition ids under infra/');
}

const platformSetting = (name: string) =>
  name.startsWith('AzureWebJobsStorage__') || name.startsWith('APPLICATIONINSIGHTS_') || name === 'AZURE_CLIENT_ID';
const localOnlySettings = ['TABLES_CONNECTION_STRING', 'AUTH_DEV_JWKS_PATH'];
const deployedSettings = settingNames.filter((name) => !localOnlySettings.includes(name));

// ---------------------------------------------------------------------------------------------------------------

describe('infra test helpers (each must be able to fail)', () => {
  const sample = [
    "// a comment with { and ' in it",
    "param prefix string = 'x' /* block { */",
    'resource site \'Microsoft.Web/sites@2024-04-01\' = {',
    '  properties: {',
    '    siteConfig: {',
    '      appSettings: [',
    "        { name: 'A', value: 'https://${prefix}.example/{path}' }",
    '        {',
    "          name: 'B'",
    "          value: '${toLower(concat(prefix, '}'))}\\'s'",
    '        }',
    "        { name: 'C', value: prefix }",
    '      ]',
    '    }',
    '  }',
    '}',
  ].join('\n');

  it('scans literals, interpolations and comments, and finds brackets', () => {
    const scan = scanBicep(sample);
    expect(bracketErrors(scan)).toEqual([]);
    expect(scan.code).not.toContain('a comment');
    expect(scan.code).not.toContain('block {');
    expect(scan.literals).toContain('https://${prefix}.example/{path}');
    expect(bracketErrors(scanBicep(sample.replace('appSettings: [', 'appSettings: [ {')))).not.toEqual([]);
    expect(bracketErrors(scanBicep(sample.replace("value: prefix }", "value: 'prefix }")))).not.toEqual([]);
    expect(bracketErrors(scanBicep('var x = (1]'))).toEqual(["']' at line 1 closes '(' of line 1"]);
    expect(bracketErrors(scanBicep("var x = {\n  a: [\n}"))).toHaveLength(2);
  });

  it('extracts app settings as name/value pairs', () => {
    expect(appSettings(scanBicep(sample))).toEqual([
      { name: 'A', value: "'https://${prefix}.example/{path}'" },
      { name: 'B', value: "'${toLower(concat(prefix, '}'))}\\'s'" },
      { name: 'C', value: 'prefix' },
    ]);
    expect(() => appSettings(scanBicep(sample.replace("{ name: 'C', value: prefix }", "{ name: 'C' }")))).toThrow();
  });

  it('finds undeclared identifiers, also inside interpolations', () => {
    expect(undeclared(scanBicep(sample))).toEqual([]);
    expect(undeclared(scanBicep(sample.replace('value: prefix }', 'value: prefx }')))).toEqual(['prefx (line 12)']);
    expect(undeclared(scanBicep(sample.replace('https://${prefix}', 'https://${prefx}')))).toEqual(['prefx (line 7)']);
  });

  it('reads parameters, modules, resources and nested properties', () => {
    const scan = scanBicep(sample);
    expect(params(scan)).toEqual(new Map([['prefix', { type: 'string', default: "'x'" }]]));
    const file = { path: 'sample.bicep', text: sample, scan };
    const [site] = resources(file);
    expect(site).toMatchObject({ symbol: 'site', type: 'Microsoft.Web/sites', apiVersion: '2024-04-01' });
    expect(prop(scan, site!.body, 'properties', 'siteConfig')).toBeDefined();
    expect(prop(scan, site!.body, 'properties', 'nothing')).toBeUndefined();
    const modular = scanBicep("module m 'app/x.bicep' = {\n  name: 'm'\n  params: {\n    a: 1\n    b: 'two'\n  }\n}");
    expect([...modules({ path: 'm.bicep', text: '', scan: modular })[0]!.params.keys()]).toEqual(['a', 'b']);
  });

  it('recognizes secret-looking text and leaves ordinary template text alone', () => {
    expect(secretLike(randomBytes(33).toString('base64'))).not.toEqual([]);
    expect(secretLike(`Account${'Key'}=abc`)).not.toEqual([]);
    expect(secretLike(`the admin pass${'word'}`)).not.toEqual([]);
    expect(secretLike('Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01')).toEqual([]);
    expect(secretLike('https://login.microsoftonline.com/common/discovery/v2.0/keys')).toEqual([]);
    expect(secretLike('0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3')).toEqual([]);
  });
});

describe('Bicep files', () => {
  it('exist: main.bicep at subscription scope plus modules', () => {
    expect(bicepFiles.map((file) => file.path)).toContain('infra/main.bicep');
    expect(bicepFiles.length).toBeGreaterThan(1);
    expect(main().scan.code).toMatch(/^targetScope\s*=\s*'subscription'/m);
    expect(allResources.some((resource) => resource.type === 'Microsoft.Resources/resourceGroups')).toBe(true);
  });

  it.each(bicepFiles.map((file) => [file.path, file] as const))('%s: brackets and braces balance', (_, file) => {
    expect(bracketErrors(file.scan)).toEqual([]);
  });

  it.each(bicepFiles.map((file) => [file.path, file] as const))('%s: every identifier used is declared', (_, file) => {
    expect(undeclared(file.scan)).toEqual([]);
  });

  it.each(bicepFiles.map((file) => [file.path, file] as const))('%s: every param is used', (_, file) => {
    const used = new Set(references(file.scan).map((ref) => ref.name));
    expect([...params(file.scan).keys()].filter((name) => !used.has(name))).toEqual([]);
  });

  it('modules exist and get exactly the params they declare (all required ones included)', () => {
    const uses = bicepFiles.flatMap(modules);
    expect(uses.length).toBeGreaterThanOrEqual(4);
    for (const use of uses) {
      const target = join(root, dirname(use.file.path), use.path);
      expect(existsSync(target), `${use.file.path}: module ${use.path}`).toBe(true);
      const declared = params(scanBicep(readFileSync(target, 'utf8')));
      const passed = [...use.params.keys()];
      expect(passed.filter((name) => !declared.has(name)), `${use.symbol}: undeclared params`).toEqual([]);
      const required = [...declared].filter(([, param]) => param.default === undefined).map(([name]) => name);
      expect(required.filter((name) => !passed.includes(name)), `${use.symbol}: missing params`).toEqual([]);
    }
  });

  it('use dated, non-preview API versions', () => {
    expect(allResources.length).toBeGreaterThanOrEqual(15);
    for (const resource of allResources) expect(resource.apiVersion, resource.type).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

describe('app settings', () => {
  it('are found: one per service setting plus the platform ones', () => {
    const platform = allSettings.filter((setting) => platformSetting(setting.name));
    expect(platform.length).toBeGreaterThanOrEqual(6);
    expect(allSettings).toHaveLength(deployedSettings.length + platform.length);
    expect(new Set(allSettings.map((setting) => setting.name)).size).toBe(allSettings.length);
  });

  it('set every setting the code reads, except the local-development ones', () => {
    const names = allSettings.map((setting) => setting.name);
    expect(deployedSettings.length).toBeGreaterThanOrEqual(7);
    expect(deployedSettings.filter((name) => !names.includes(name))).toEqual([]);
  });

  it('set nothing the code does not read, besides the platform settings', () => {
    const unknown = allSettings.map((setting) => setting.name).filter((name) => !platformSetting(name));
    expect(unknown.filter((name) => !(settingNames as string[]).includes(name))).toEqual([]);
    expect(unknown.filter((name) => localOnlySettings.includes(name))).toEqual([]);
  });

  it('never mention the local-only settings, account keys or listKeys anywhere under infra/', () => {
    const texts = [...filesUnder(infraDir, ''), join(root, 'azure.yaml')].map((path) => [path, readFileSync(path, 'utf8')] as const);
    for (const [path, text] of texts)
      for (const word of [...localOnlySettings, 'AccountKey', 'listKeys(', 'listkeys(', 'SharedAccessSignature', 'connectionString('])
        expect(text.includes(word), `${relative(root, path)} contains ${word}`).toBe(false);
  });

  it('use no settings that Flex Consumption rejects', () => {
    for (const file of bicepFiles)
      for (const word of ['FUNCTIONS_WORKER_RUNTIME', 'FUNCTIONS_EXTENSION_VERSION', 'WEBSITE_RUN_FROM_PACKAGE', 'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING', 'linuxFxVersion'])
        expect(file.scan.code.includes(word), `${file.path}: ${word}`).toBe(false);
  });

  it('reach storage and telemetry with the user-assigned identity', () => {
    const value = (name: string) => allSettings.find((setting) => setting.name === name)?.value;
    const clientId = value('AZURE_CLIENT_ID');
    expect(clientId).toMatch(/^\w+\.properties\.clientId$/);
    expect(value('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(value('AzureWebJobsStorage__clientId')).toBe(clientId);
    expect(value('AzureWebJobsStorage__blobServiceUri')).toMatch(/primaryEndpoints\.blob$/);
    expect(value('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe(`'ClientId=\${${clientId}};Authorization=AAD'`);
    expect(value('APPLICATIONINSIGHTS_CONNECTION_STRING')).toMatch(/\.properties\.ConnectionString$/);
    expect(value('TABLES_ENDPOINT')).toMatch(/^'https:\/\/\$\{\w+\.name\}\.table\.\$\{environment\(\)\.suffixes\.storage\}'$/);
  });

  it('take the service settings from parameters, with the code\'s defaults', () => {
    const site = only('Microsoft.Web/sites');
    const fedFrom = (setting: string) => {
      const raw = allSettings.find((candidate) => candidate.name === setting)?.value ?? '';
      return params(site.file.scan).has(raw) ? mainParamsFeeding('api', raw) : [];
    };
    for (const setting of deployedSettings.filter((name) => name !== 'TABLES_ENDPOINT'))
      expect(fedFrom(setting), `${setting} comes from a main.bicep parameter`).toHaveLength(1);

    const mainParams = params(main().scan);
    expect(mainParams.get('tablesPrefix')?.default).toBe(`'${configSchema.shape.TABLES_PREFIX.parse(undefined)}'`);
    expect(mainParams.get('authAudience')?.default).toBeUndefined();
    const literal = (name: string) =>
      unquote(new RegExp(`^var\\s+${name}\\s*=\\s*('[^']*')\\s*$`, 'm').exec(main().scan.code)?.[1] ?? '');
    expect(literal('defaultAuthIssuer')).toBe(configSchema.shape.AUTH_ISSUER.parse(undefined).join(','));
    expect(literal('defaultAuthJwksUri')).toBe(configSchema.shape.AUTH_JWKS_URI.parse(undefined));
    const apiParams = modules(main()).find((module) => module.symbol === 'api')!.params;
    expect(apiParams.get('authAllowedTenants')?.raw).toContain('tenant().tenantId');
    expect(apiParams.get('publicBaseUrl')?.raw).toMatch(/'https:\/\/\$\{\w+\}\.azurewebsites\.net'/);
  });
});

describe('identity and roles', () => {
  it('map role names to the right built-in role definition ids', () => {
    const { roles } = roleMap();
    for (const [key, role] of roles) {
      expect(role.name, `role key ${key} names no known built-in role`).toBeDefined();
      expect(role.id, key).toBe(builtInRoles[role.name!]);
    }
    const granted = [...roles.values()].map((role) => role.name);
    for (const needed of ['Storage Blob Data Owner', 'Storage Table Data Contributor', 'Monitoring Metrics Publisher'])
      expect(granted).toContain(needed);
  });

  it('grant each role once, to the identity, on the narrowest resource that works', () => {
    const { file, roles } = roleMap();
    const assignments = allResources.filter((resource) => resource.type === 'Microsoft.Authorization/roleAssignments');
    expect(assignments.length).toBe(roles.size);
    const scopeType = new Map<string, string>();
    for (const assignment of assignments) {
      expect(assignment.file).toBe(file);
      const roleId = propOf(assignment, 'properties', 'roleDefinitionId') ?? '';
      const key = /\broles\.(\w+)\b/.exec(roleId)?.[1] ?? '';
      expect(roles.has(key), `${assignment.symbol}: ${roleId}`).toBe(true);
      expect(roleId).toMatch(/^subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions', roles\.\w+\)$/);
      expect(propOf(assignment, 'name')).toContain(`roles.${key}`);
      expect(propOf(assignment, 'properties', 'principalType')).toBe("'ServicePrincipal'");
      const scope = propOf(assignment, 'scope') ?? '';
      const target = allResources.find((resource) => resource.file === file && resource.symbol === scope);
      scopeType.set(roles.get(key)!.name!, target?.type ?? `unknown scope ${scope}`);
    }
    expect(Object.fromEntries(scopeType)).toEqual({
      'Storage Blob Data Owner': 'Microsoft.Storage/storageAccounts',
      'Storage Table Data Contributor': 'Microsoft.Storage/storageAccounts',
      'Monitoring Metrics Publisher': 'Microsoft.Insights/components',
    });
  });

  it('grant queue access exactly when the host is pointed at queues', () => {
    const queueRole = [...roleMap().roles.values()].some((role) => role.name === 'Storage Queue Data Contributor');
    const queueUri = allSettings.some((setting) => setting.name === 'AzureWebJobsStorage__queueServiceUri');
    expect(queueRole).toBe(queueUri);
  });

  it('contain no GUID but the known role ids', () => {
    const known = new Set(Object.values(builtInRoles));
    for (const file of bicepFiles)
      for (const match of file.scan.code.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi))
        expect(known.has(match[0].toLowerCase()), `${file.path}: ${match[0]}`).toBe(true);
  });

  it('run the app as one user-assigned identity', () => {
    const site = only('Microsoft.Web/sites');
    expect(propOf(site, 'identity', 'type')).toBe("'UserAssigned'");
    only('Microsoft.ManagedIdentity/userAssignedIdentities');
  });
});

describe('resources', () => {
  it('storage: no shared keys, TLS 1.2, no public blobs, HTTPS only', () => {
    const account = only('Microsoft.Storage/storageAccounts');
    expect(propOf(account, 'properties', 'allowSharedKeyAccess')).toBe('false');
    expect(propOf(account, 'properties', 'minimumTlsVersion')).toBe("'TLS1_2'");
    expect(propOf(account, 'properties', 'allowBlobPublicAccess')).toBe('false');
    expect(propOf(account, 'properties', 'supportsHttpsTrafficOnly')).toBe('true');
  });

  it('storage: pre-creates the <prefix>drives and <prefix>tenants tables the code uses', () => {
    only('Microsoft.Storage/storageAccounts/tableServices/tables');
    const storage = modules(main()).find((module) => module.path === 'app/storage.bicep');
    const list = storage?.params.get('tableNames');
    expect(list?.raw.startsWith('[')).toBe(true);
    const names = members(main().scan, list!.index).map((element) => element.raw);
    expect(names).toEqual(["'${tablesPrefix}drives'", "'${tablesPrefix}tenants'"]);
    const storageCode = join(root, 'lib', 'storage');
    if (existsSync(storageCode)) {
      const code = filesUnder(storageCode, '.ts').map((path) => readFileSync(path, 'utf8')).join('\n');
      for (const suffix of ['drives', 'tenants']) expect(code).toContain(`'${suffix}'`);
    }
  });

  it('monitoring: local authentication disabled', () => {
    expect(propOf(only('Microsoft.Insights/components'), 'properties', 'DisableLocalAuth')).toBe('true');
    expect(propOf(only('Microsoft.OperationalInsights/workspaces'), 'properties', 'features', 'disableLocalAuth')).toBe('true');
    const code = bicepFiles.map((file) => file.scan.code).join('\n');
    expect(code).toMatch(/\bdisableLocalAuth:\s*true/i);
  });

  it('plan: Flex Consumption (FC1), Linux', () => {
    const plan = only('Microsoft.Web/serverfarms');
    expect(propOf(plan, 'sku', 'name')).toBe("'FC1'");
    expect(propOf(plan, 'sku', 'tier')).toBe("'FlexConsumption'");
    expect(propOf(plan, 'properties', 'reserved')).toBe('true');
  });

  it('function app: Node 22 on Flex, HTTPS only, tagged for azd', () => {
    const site = only('Microsoft.Web/sites');
    expect(propOf(site, 'kind')).toBe("'functionapp,linux'");
    expect(propOf(site, 'properties', 'httpsOnly')).toBe('true');
    expect(propOf(site, 'properties', 'functionAppConfig', 'runtime', 'name')).toBe("'node'");
    expect(propOf(site, 'properties', 'functionAppConfig', 'runtime', 'version')).toBe("'22'");
    expect(propOf(site, 'tags')).toMatch(/'azd-service-name':\s*'api'/);
    expect(propOf(site, 'properties', 'siteConfig', 'minTlsVersion')).toBe("'1.2'");
  });

  it('function app: package from a blob container, read with the user-assigned identity', () => {
    const site = only('Microsoft.Web/sites');
    const storage = ['properties', 'functionAppConfig', 'deployment', 'storage'];
    expect(propOf(site, ...storage, 'type')).toBe("'blobContainer'");
    expect(propOf(site, ...storage, 'value')).toMatch(/primaryEndpoints\.blob/);
    expect(propOf(site, ...storage, 'authentication', 'type')).toBe("'UserAssignedIdentity'");
    expect(propOf(site, ...storage, 'authentication', 'userAssignedIdentityResourceId')).toMatch(/^\w+\.id$/);
    only('Microsoft.Storage/storageAccounts/blobServices/containers');
  });

  it('function app: concurrency, instance count and memory are parameters with sensible defaults', () => {
    const site = only('Microsoft.Web/sites');
    const scale = ['properties', 'functionAppConfig', 'scaleAndConcurrency'];
    expect(tracedDefault(site, ...scale, 'triggers', 'http', 'perInstanceConcurrency')).toBe('16');
    expect(tracedDefault(site, ...scale, 'maximumInstanceCount')).toBe('100');
    expect(tracedDefault(site, ...scale, 'instanceMemoryMB')).toBe('2048');
    expect(propOf(site, ...scale, 'alwaysReady')).toBeDefined();
  });
});

describe('main.parameters.json and azure.yaml', () => {
  const parametersFile = JSON.parse(readFileSync(join(infraDir, 'main.parameters.json'), 'utf8')) as {
    parameters: Record<string, { value: unknown }>;
  };

  it('main.parameters.json is valid JSON naming only parameters of main.bicep, the required ones included', () => {
    const declared = params(main().scan);
    const given = Object.keys(parametersFile.parameters);
    expect(given.length).toBeGreaterThanOrEqual(3);
    expect(given.filter((name) => !declared.has(name))).toEqual([]);
    const required = [...declared].filter(([, param]) => param.default === undefined).map(([name]) => name);
    expect(required.filter((name) => !given.includes(name))).toEqual([]);
  });

  it('main.parameters.json defaults (${VAR=default}) agree with main.bicep', () => {
    const declared = params(main().scan);
    let compared = 0;
    for (const [name, { value }] of Object.entries(parametersFile.parameters)) {
      const fallback = /^\$\{\w+=(.*)\}$/.exec(String(value))?.[1];
      if (fallback === undefined) continue;
      const bicepDefault = declared.get(name)?.default ?? '';
      expect(unquote(bicepDefault) ?? bicepDefault, name).toBe(fallback);
      compared += 1;
    }
    expect(compared).toBeGreaterThan(0);
  });

  it('main.parameters.json and azure.yaml hold no secrets', () => {
    expect(secretLike(readFileSync(join(infraDir, 'main.parameters.json'), 'utf8'))).toEqual([]);
    expect(secretLike(readFileSync(join(root, 'azure.yaml'), 'utf8'))).toEqual([]);
  });

  it('Bicep literals and comments hold no secrets', () => {
    for (const file of bicepFiles) {
      expect(secretLike(file.text), file.path).toEqual([]);
      for (const literal of file.scan.literals) expect(secretLike(literal), `${file.path}: '${literal}'`).toEqual([]);
    }
  });

  it('azure.yaml deploys service api as a TypeScript function app from the staged package', () => {
    const yaml = readFileSync(join(root, 'azure.yaml'), 'utf8');
    expect(yaml).toMatch(/^name:\s*[a-z0-9][-a-z0-9]*[a-z0-9]\s*$/m);
    const api = /^services:\s*\n(?:[ \t]*#.*\n)*  api:\s*\n((?:    .*\n|[ \t]*\n)*)/m.exec(yaml)?.[1];
    expect(api, 'services.api in azure.yaml').toBeDefined();
    expect(api).toMatch(/^    host:\s*function\s*$/m);
    expect(api).toMatch(/^    language:\s*ts\s*$/m);
    expect(api).toMatch(/^    project:\s*\.\s*$/m);
    expect(api).toMatch(/^    remoteBuild:\s*false\s*$/m);
    expect(/^    dist:\s*(\S+)\s*$/m.exec(api ?? '')?.[1]).toBe('dist/deploy');
    const hooks = [...(api ?? '').matchAll(/run:\s*node\s+(\S+)/g)].map((match) => match[1]!);
    expect(hooks.length).toBeGreaterThan(0);
    for (const script of hooks) {
      expect(existsSync(join(root, script)), script).toBe(true);
      expect(readFileSync(join(root, script), 'utf8')).toMatch(/join\(built, 'deploy'\)/);
    }
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main?: string; scripts?: Record<string, string> };
    expect(manifest.main).toBe('dist/functions/index.js');
    expect(manifest.scripts?.build).toBeDefined();
  });
});
