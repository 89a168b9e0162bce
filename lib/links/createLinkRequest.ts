import { z } from 'zod';
import { LINK_SCOPES, LINK_TYPES, type Recipient } from './link.js';

export const MAX_RECIPIENTS = 100;

const recipientSchema = z
  .strictObject({
    email: z.email({ message: 'must be an e-mail address' }).max(320).optional(),
    objectId: z.uuid({ message: 'must be an object id (GUID)' }).optional(),
    alias: z.string().min(1).max(256).optional(),
  })
  .refine((value) => Object.values(value).filter((entry) => entry !== undefined).length === 1, {
    message: 'each recipient needs exactly one of email, objectId or alias',
  });

/** createLink's parameters (SPEC section 5), after OData clean-up (annotations dropped, nulls absent). */
export const createLinkSchema = z.strictObject({
  type: z.enum(LINK_TYPES).optional(),
  scope: z.enum(LINK_SCOPES).optional(),
  expirationDateTime: z.string().max(64).optional(),
  password: z.string().min(1).max(256).optional(),
  recipients: z
    .array(z.preprocess((value) => (value && typeof value === 'object' ? dropAnnotations(value) : value), recipientSchema))
    .max(MAX_RECIPIENTS, { message: `at most ${MAX_RECIPIENTS} recipients are allowed` })
    .optional(),
  retainInheritedPermissions: z.boolean().optional(),
  sendNotification: z.boolean().optional(),
  message: z.string().max(2000).optional(),
});

export type CreateLinkRequest = z.output<typeof createLinkSchema>;

function dropAnnotations(value: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key, entry]) => !key.includes('@') && entry !== null));
}

/** One canonical form per recipient, de-duplicated (e-mail addresses and aliases compare case-insensitively). */
export function normalizeRecipients(recipients: readonly Record<string, string | undefined>[]): Recipient[] {
  const seen = new Map<string, Recipient>();
  for (const recipient of recipients) {
    const normalized: Recipient = recipient.email
      ? { email: recipient.email.toLowerCase() }
      : recipient.objectId
        ? { objectId: recipient.objectId.toLowerCase() }
        : { alias: (recipient.alias ?? '').toLowerCase() };
    seen.set(JSON.stringify(normalized), normalized);
  }
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, recipient]) => recipient);
}
