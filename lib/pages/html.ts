/**
 * HTML building with escaping by default: `html` is a tagged template whose interpolated values are escaped unless
 * they are themselves `Html` (built by `html` or `raw`). Nothing a user or a token controls can become markup.
 */
const HTML = Symbol('html');

export interface Html {
  readonly [HTML]: true;
  readonly text: string;
}

export type Interpolation = Html | string | number | false | null | undefined | readonly Interpolation[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for use in element content and in double- or single-quoted attribute values. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => ENTITIES[char]!);

/** Trusted markup: only for constants of this module's callers, never for data. */
export const raw = (text: string): Html => ({ [HTML]: true, text });

const isHtml = (value: unknown): value is Html => typeof value === 'object' && value !== null && HTML in value;

function render(value: Interpolation): string {
  if (value === undefined || value === null || value === false) return '';
  if (isHtml(value)) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let text = strings[0]!;
  values.forEach((value, index) => {
    text += render(value) + strings[index + 1]!;
  });
  return raw(text);
}
