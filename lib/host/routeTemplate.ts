/**
 * ASP.NET-style route templates as the Functions host reads them (the subset this service uses): literal
 * segments (case-insensitive), `{name}` for one segment, `{*name}` for the rest of the path.
 */
type Segment = { kind: 'literal'; text: string } | { kind: 'param'; name: string } | { kind: 'catchAll'; name: string };

export interface CompiledRoute {
  readonly template: string;
  readonly segments: readonly Segment[];
}

export function compileRoute(template: string): CompiledRoute {
  const segments = template
    .split('/')
    .filter((part) => part.length > 0)
    .map((part): Segment => {
      const match = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}$/.exec(part);
      if (!match) return { kind: 'literal', text: part.toLowerCase() };
      return match[1] ? { kind: 'catchAll', name: match[2]! } : { kind: 'param', name: match[2]! };
    });
  return { template, segments };
}

/** Parameters of the path if the route matches it; `segments` are already percent-decoded. */
export function matchRoute(route: CompiledRoute, segments: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let index = 0; index < route.segments.length; index += 1) {
    const segment = route.segments[index]!;
    if (segment.kind === 'catchAll') {
      params[segment.name] = segments.slice(index).join('/');
      return params;
    }
    const actual = segments[index];
    if (actual === undefined || actual.length === 0) return undefined;
    if (segment.kind === 'literal' && actual.toLowerCase() !== segment.text) return undefined;
    if (segment.kind === 'param') params[segment.name] = actual;
  }
  return segments.length === route.segments.length ? params : undefined;
}

const RANK = { literal: 0, param: 1, catchAll: 2 } as const;

/** Route precedence as in ASP.NET: segment by segment, literals before parameters before catch-alls. */
export function byPrecedence(a: CompiledRoute, b: CompiledRoute): number {
  const length = Math.max(a.segments.length, b.segments.length);
  for (let index = 0; index < length; index += 1) {
    const left = a.segments[index];
    const right = b.segments[index];
    if (!left || !right) return left ? -1 : 1;
    const difference = RANK[left.kind] - RANK[right.kind];
    if (difference !== 0) return difference;
  }
  return 0;
}
