import DataLoader from 'dataloader';
import type { MaletRepository, MaletRow } from '../data/malet.repository';
import type { PostRepository, PostRow } from '../data/post.repository';

/**
 * Per-request batching: a page of posts asking for their Malets, or the gateway resolving many
 * `User.malets` at once, costs one query per entity type instead of one per row.
 */
export function createLoaders(deps: { malets: MaletRepository; posts: PostRepository }) {
  return {
    maletsById: new DataLoader<string, MaletRow | null>(async (ids) => {
      const byId = new Map((await deps.malets.findManyByIds(ids)).map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    maletsByOwner: new DataLoader<string, MaletRow[]>(async (ownerIds) => {
      const grouped = new Map<string, MaletRow[]>();
      for (const row of await deps.malets.listByOwners(ownerIds)) {
        grouped.set(row.ownerId, [...(grouped.get(row.ownerId) ?? []), row]);
      }
      return ownerIds.map((id) => grouped.get(id) ?? []);
    }),
    postsById: new DataLoader<string, PostRow | null>(async (ids) => {
      const byId = new Map((await deps.posts.findManyByIds(ids)).map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
