import { z } from 'zod';
import { flag } from '@malet/config';

/** Dev mode: `/auth/dev/token` and the seeded users (refused in production). */
export const devEnvShape = {
  DEV_MODE: flag(false),
  /** Comma-separated emails created at start-up in dev mode (the seed's users). */
  DEV_SEED_EMAILS: z.string().default('user@example.com,admin@example.com'),
  DEV_ADMIN_EMAILS: z.string().default('admin@example.com'),
};

type DevEnv = z.infer<z.ZodObject<typeof devEnvShape>> & { NODE_ENV: string };

export function refineDevEnv(value: DevEnv, ctx: z.RefinementCtx): void {
  if (value.NODE_ENV === 'production' && value.DEV_MODE) {
    ctx.addIssue({ code: 'custom', path: ['DEV_MODE'], message: 'must not be true in production' });
  }
}

const emailList = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean);

export function devConfigFrom(raw: DevEnv) {
  return { enabled: raw.DEV_MODE, seedEmails: emailList(raw.DEV_SEED_EMAILS), adminEmails: emailList(raw.DEV_ADMIN_EMAILS) };
}

export type DevConfig = ReturnType<typeof devConfigFrom>;
