/**
 * OneDrive and SharePoint naming rules for files and folders
 * (https://support.microsoft.com/office/64883a5d-228e-48f5-b3d2-eb39e07630fa): the reason is returned so the
 * caller learns what to fix.
 */
const ILLEGAL_CHARACTERS = /["*:<>?/\\|\u0000-\u001f\u007f]/;
const RESERVED_NAMES = /^(\.lock|CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9]|desktop\.ini)$/i;
export const MAX_NAME_LENGTH = 255;

export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return 'The name must not be empty.';
  if (name.length > MAX_NAME_LENGTH) return `The name must be at most ${MAX_NAME_LENGTH} characters long.`;
  if (ILLEGAL_CHARACTERS.test(name)) return 'The name contains an illegal character (" * : < > ? / \\ | or a control character).';
  if (name.trim() !== name) return 'The name must not begin or end with a space.';
  if (name === '.' || name === '..' || name.endsWith('.')) return 'The name must not be "." or "..", nor end with a period.';
  if (RESERVED_NAMES.test(name)) return `The name '${name}' is reserved.`;
  if (name.startsWith('~$')) return "The name must not begin with '~$'.";
  if (name.includes('_vti_')) return "The name must not contain '_vti_'.";
  if (!name.isWellFormed()) return 'The name is not valid Unicode.';
  return undefined;
}
