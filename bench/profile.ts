import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  readonly file: string;
  readonly totalMs: number;
  /** Share of busy (non-idle) time by where the code lives: a package, node's internals, our own code, GC. */
  readonly byArea: { area: string; ms: number; percentOfBusy: number }[];
  readonly topFunctions: { fn: string; ms: number; percentOfBusy: number }[];
  /** Inclusive (self + callees) time of our own functions and of the library entry points they call. */
  readonly topInclusive: { fn: string; ms: number; percentOfBusy: number }[];
}

function areaOf(url: string, name: string): string {
  if (!url) {
    if (name === '(garbage collector)') return 'GC';
    if (name === '(idle)') return 'idle';
    if (name === '(program)') return 'program (native, not attributed)';
    return `native: ${name}`;
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:internal/')) return `node:internal/${url.slice(14).split('/')[0]}`;
  if (url.startsWith('node:')) return url;
  const ours = /\/dist\/(lib\/[^/]+|functions|scripts|bench)/.exec(url)?.[1];
  return ours ? `ours: ${ours}` : url;
}

/** Self time by area and by function of the newest .cpuprofile in `dir` (written by `node --cpu-prof`). */
export async function summarizeProfile(dir: string, top = 20): Promise<ProfileSummary | undefined> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.cpuprofile')).sort();
  const file = files.at(-1);
  if (!file) return undefined;
  const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, index) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));

  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, micros] of self) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    total += micros;
    if (area === 'idle') {
      idle += micros;
      continue;
    }
    areas.set(area, (areas.get(area) ?? 0) + micros);
    const fn = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}` : ''}`.trim();
    functions.set(fn, (functions.get(fn) ?? 0) + micros);
  }
  const busy = total - idle;

  // Inclusive time: every distinct function on the sampled stack gets the sample's time once.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const label = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    return `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}` : ''}`.trim();
  };
  const inclusive = new Map<string, number>();
  for (const [id, micros] of self) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at)!;
      if (node.callFrame.functionName === '(root)' || node.callFrame.functionName === '(idle)') continue;
      const name = label(node);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
    }
  }
  const interesting = new Map([...inclusive].filter(([name]) => /dist\/(lib|functions)\/|jose|data-tables\/dist\/esm\/TableClient|azure-functions|node:_http_server|node:_http_client|console|zod/.test(name)));
  const rank = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, micros]) => ({ key, ms: Math.round(micros / 1000), percentOfBusy: Math.round((micros / busy) * 1000) / 10 }));
  return {
    file: join(dir, file),
    totalMs: Math.round(total / 1000),
    byArea: rank(areas).map(({ key, ...rest }) => ({ area: key, ...rest })),
    topFunctions: rank(functions).map(({ key, ...rest }) => ({ fn: key, ...rest })),
    topInclusive: rank(interesting).map(({ key, ...rest }) => ({ fn: key, ...rest })),
  };
}
