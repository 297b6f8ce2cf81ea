import type { GraphQLResolverMap } from '@malet/graphql-server';

/**
 * Merges the modules' resolver maps type by type (core's `User` fields and each feature's). Two
 * modules resolving the same field is a wiring mistake, refused at start-up.
 */
export function mergeResolvers<TContext>(maps: readonly GraphQLResolverMap<TContext>[]): GraphQLResolverMap<TContext> {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const map of maps) {
    for (const [typeName, fields] of Object.entries(map)) {
      const target = (merged[typeName] ??= {});
      for (const [field, resolver] of Object.entries(fields as Record<string, unknown>)) {
        if (field in target) throw new Error(`${typeName}.${field} is resolved by two modules`);
        target[field] = resolver;
      }
    }
  }
  return merged as GraphQLResolverMap<TContext>;
}
