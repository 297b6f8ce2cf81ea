import type { MaletRepository, MaletRow } from '../data/malet.repository';
import { contentErrors } from './content.errors';
import { handleProblem } from './handle';
import { createMaletInput, parseInput, updateMaletInput } from './inputs';

/** Enough for any real owner, small enough that one account cannot squat thousands of handles. */
export const MALETS_PER_OWNER = 50;

/** Lower-cases and checks a handle a user wants to register. */
function requireRegistrableHandle(input: string): string {
  const handle = input.trim().toLowerCase();
  const problem = handleProblem(handle);
  if (problem === 'format') throw contentErrors.handleInvalid();
  if (problem === 'reserved') throw contentErrors.handleReserved();
  return handle;
}

/** The signed-in user's id, or UNAUTHENTICATED. */
export function requireUserId(userId: string | null): string {
  if (!userId) throw contentErrors.unauthenticated();
  return userId;
}

export function createMaletService(deps: { malets: MaletRepository }) {
  const { malets } = deps;

  /** The Malet `handle` names, if `userId` owns it: NOT_FOUND first, then FORBIDDEN. */
  async function getOwnedMaletOrThrow(userId: string | null, handle: string): Promise<MaletRow> {
    const ownerId = requireUserId(userId);
    const malet = await malets.findByHandle(handle.trim().toLowerCase());
    if (!malet) throw contentErrors.maletNotFound();
    if (malet.ownerId !== ownerId) throw contentErrors.notOwner();
    return malet;
  }

  return {
    getOwnedMaletOrThrow,

    async createMalet(userId: string | null, rawInput: unknown): Promise<MaletRow> {
      const ownerId = requireUserId(userId);
      const input = parseInput(createMaletInput, rawInput);
      const handle = requireRegistrableHandle(input.handle);
      if ((await malets.countByOwner(ownerId)) >= MALETS_PER_OWNER) throw contentErrors.tooManyMalets(MALETS_PER_OWNER);
      const created = await malets.insert({ handle, name: input.name, description: input.description ?? null, ownerId });
      if (!created) throw contentErrors.handleTaken();
      return created;
    },

    async updateMalet(userId: string | null, handle: string, rawInput: unknown): Promise<MaletRow> {
      const input = parseInput(updateMaletInput, rawInput);
      const malet = await getOwnedMaletOrThrow(userId, handle);
      const patch: { handle?: string; name?: string; description?: string | null } = {};
      if (input.handle != null) patch.handle = requireRegistrableHandle(input.handle);
      if (input.name != null) patch.name = input.name;
      if (input.description !== undefined) patch.description = input.description;
      const updated = await malets.update(malet.id, patch);
      if (updated === 'handle_taken') throw contentErrors.handleTaken();
      if (!updated) throw contentErrors.maletNotFound();
      return updated;
    },

    async deleteMalet(userId: string | null, handle: string): Promise<void> {
      const malet = await getOwnedMaletOrThrow(userId, handle);
      await malets.delete(malet.id);
    },
  };
}

export type MaletService = ReturnType<typeof createMaletService>;
