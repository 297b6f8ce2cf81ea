import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * Thrown when the environment does not satisfy a service's schema. The message names each
 * offending variable and the rule it broke, never the value (which may be a secret).
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Parses the environment once at start-up. Empty strings count as unset. */
export function loadConfig<S extends z.ZodType>(schema: S, env: Env = process.env): z.infer<S> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map(describeIssue));
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.join('.') || '(root)';
  // zod's own messages for these codes can quote the input; give only the rule.
  switch (issue.code) {
    case 'invalid_type':
      return `${key}: ${issue.input === undefined ? 'is required' : `must be ${issue.expected}`}`;
    case 'invalid_value':
      return `${key}: must be one of ${issue.values.map(String).join(', ')}`;
    default:
      return `${key}: ${issue.message}`;
  }
}

/** The keys a schema accepts: used to check deployment manifests against the schemas. */
export function configKeys(schema: z.ZodObject): string[] {
  return Object.keys(schema.shape);
}

// Building blocks shared by every service's schema.

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1' || value === 'yes');

export const postgresUrl = z
  .string()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must be a postgres:// URL');

/**
 * `DATABASE_PREPARED_STATEMENTS`: statement texts each database connection keeps prepared on the
 * server (@malet/database); 0 for a pooler that cannot keep them (PgBouncer's transaction
 * pooling before 1.21).
 */
export const preparedStatements = z.coerce.number().int().min(0).max(10_000).default(200);

export const redisUrl = z
  .string()
  .refine((value) => /^rediss?:\/\//.test(value), 'must be a redis:// or rediss:// URL');

export const httpUrl = z
  .string()
  .refine((value) => /^https?:\/\/[^\s]+$/.test(value), 'must be an http(s) URL')
  .transform((value) => value.replace(/\/+$/, ''));

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

export const nodeEnv = z.enum(['development', 'test', 'production']).default('development');

/**
 * Dev-only secrets: a fixed default is convenient locally and refused in production, where the
 * variable must be set explicitly.
 */
export const DEV_INTERNAL_TOKEN_SECRET = 'dev-only-internal-token-secret-change-me-0123456789';

export const internalTokenSecret = z.string().min(32, 'must be at least 32 characters');

/** The variables every process reads, in one place so each schema spells them the same. */
export const baseEnvShape = {
  NODE_ENV: nodeEnv,
  LOG_LEVEL: logLevel,
  HOST: z.string().default('127.0.0.1'),
  INTERNAL_TOKEN_SECRET: internalTokenSecret.default(DEV_INTERNAL_TOKEN_SECRET),
  REDIS_URL: redisUrl.optional(),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
};

/** The settings every process derives from `baseEnvShape` (plus its own PORT), shaped once. */
export function baseConfig(raw: {
  NODE_ENV: string;
  LOG_LEVEL: z.infer<typeof logLevel>;
  HOST: string;
  PORT: number;
  SHUTDOWN_GRACE_MS: number;
  INTERNAL_TOKEN_SECRET: string;
  REDIS_URL?: string | undefined;
}) {
  return {
    production: raw.NODE_ENV === 'production',
    logLevel: raw.LOG_LEVEL,
    http: { host: raw.HOST, port: raw.PORT, shutdownGraceMs: raw.SHUTDOWN_GRACE_MS },
    internalTokenSecret: raw.INTERNAL_TOKEN_SECRET,
    redisUrl: raw.REDIS_URL,
  };
}

/** Production may not run on the published dev secret. */
export function refuseDevSecretsInProduction(
  value: { NODE_ENV: string; INTERNAL_TOKEN_SECRET: string },
  ctx: z.RefinementCtx,
): void {
  if (value.NODE_ENV === 'production' && value.INTERNAL_TOKEN_SECRET === DEV_INTERNAL_TOKEN_SECRET) {
    ctx.addIssue({ code: 'custom', path: ['INTERNAL_TOKEN_SECRET'], message: 'must be set in production' });
  }
}

export { z };

/**
 * The directory of the package a module belongs to (the nearest one with a package.json), so
 * files such as `drizzle/` and `src/schema.graphql` resolve the same whether the code runs from
 * `src/` under tsx or bundled in `dist/`.
 */
export function serviceRoot(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(moduleUrl)}`);
    dir = parent;
  }
  return dir;
}
