import type { MaletRepository, MaletRow } from '../data/malet.repository';
import type { PostPatch, PostRepository, PostRow } from '../data/post.repository';
import { contentErrors } from './content.errors';
import { decodeCursor, encodeCursor } from './cursor';
import { normalizeHandle } from './handle';
import { createPostInput, pageArgs, parseInput, updatePostInput } from './inputs';
import { renderMarkdown } from './markdown';
import { requireUserId } from './malet.service';
import { isSlug, slugCandidates, slugFromTitle } from './slug';

export const DEFAULT_PAGE_SIZE = 20;

export interface PostPage {
  posts: PostRow[];
  cursors: string[];
  hasNextPage: boolean;
}

/** Whether `userId` may see `post`: published posts are public, drafts are the owner's. */
function canSee(post: PostRow, malet: MaletRow | null, userId: string | null): boolean {
  return post.status === 'published' || (malet !== null && userId !== null && malet.ownerId === userId);
}

export function createPostService(deps: { posts: PostRepository; malets: MaletRepository }) {
  const { posts, malets } = deps;

  /** The post `id` names and its Malet, if the caller owns the Malet. */
  async function getOwnedPostOrThrow(userId: string | null, id: string): Promise<{ post: PostRow; malet: MaletRow }> {
    const ownerId = requireUserId(userId);
    const post = await posts.findById(id);
    const malet = post ? await malets.findById(post.maletId) : null;
    if (!post || !malet) throw contentErrors.postNotFound();
    if (malet.ownerId !== ownerId) {
      // A stranger learns nothing about drafts: they do not exist for them.
      if (post.status !== 'published') throw contentErrors.postNotFound();
      throw contentErrors.notOwner();
    }
    return { post, malet };
  }

  function requireSlug(slug: string): string {
    if (!isSlug(slug)) throw contentErrors.slugInvalid();
    return slug;
  }

  return {
    canSee,

    /** A post by Malet handle and slug: published for everyone, drafts for the owner; else null. */
    async findVisiblePost(userId: string | null, handle: string, slug: string): Promise<PostRow | null> {
      const maletHandle = normalizeHandle(handle);
      const postSlug = slug.trim().toLowerCase();
      if (!maletHandle || !isSlug(postSlug)) return null;
      const malet = await malets.findByHandle(maletHandle);
      if (!malet) return null;
      const post = await posts.findBySlug(malet.id, postSlug);
      return post && canSee(post, malet, userId) ? post : null;
    },

    /** A page of a Malet's posts, newest first; drafts only for the owner, who must ask for them. */
    async listPosts(
      userId: string | null,
      malet: MaletRow,
      args: { first?: number | null; after?: string | null; includeDrafts?: boolean | null },
    ): Promise<PostPage> {
      const { first, after } = parseInput(pageArgs, { first: args.first, after: args.after }, 'posts');
      const includeDrafts = args.includeDrafts === true;
      if (includeDrafts) {
        const ownerId = requireUserId(userId);
        if (malet.ownerId !== ownerId) throw contentErrors.draftsForbidden();
      }
      const limit = first ?? DEFAULT_PAGE_SIZE;
      const rows = await posts.listPage({
        maletId: malet.id,
        includeDrafts,
        limit: limit + 1,
        after: after ? decodeCursor(after) : null,
      });
      const page = rows.slice(0, limit);
      return {
        posts: page,
        cursors: page.map((post) =>
          encodeCursor({ at: includeDrafts ? post.createdAt : (post.publishedAt ?? post.createdAt), id: post.id }),
        ),
        hasNextPage: rows.length > limit,
      };
    },

    async createPost(userId: string | null, handle: string, rawInput: unknown): Promise<PostRow> {
      const authorId = requireUserId(userId);
      const input = parseInput(createPostInput, rawInput);
      const malet = await malets.findByHandle(handle.trim().toLowerCase());
      if (!malet) throw contentErrors.maletNotFound();
      if (malet.ownerId !== authorId) throw contentErrors.notOwner();
      // An explicit slug must be free; a derived one takes the first free variant.
      const slugs = input.slug ? [requireSlug(input.slug)] : slugCandidates(slugFromTitle(input.title));
      const created = await posts.insert({
        maletId: malet.id,
        authorId,
        slugs,
        title: input.title,
        summary: input.summary ?? null,
        bodyMarkdown: input.body,
        bodyHtml: renderMarkdown(input.body),
        publish: input.publish === true,
      });
      if (!created) throw contentErrors.slugTaken();
      return created;
    },

    async updatePost(userId: string | null, id: string, rawInput: unknown): Promise<PostRow> {
      const input = parseInput(updatePostInput, rawInput);
      const { post } = await getOwnedPostOrThrow(userId, id);
      const patch: PostPatch = {};
      if (input.slug != null) patch.slug = requireSlug(input.slug);
      if (input.title != null) patch.title = input.title;
      if (input.summary !== undefined) patch.summary = input.summary;
      if (input.body != null) {
        patch.bodyMarkdown = input.body;
        patch.bodyHtml = renderMarkdown(input.body);
      }
      const updated = await posts.update(post.id, patch);
      if (updated === 'slug_taken') throw contentErrors.slugTaken();
      if (!updated) throw contentErrors.postNotFound();
      return updated;
    },

    async setPublished(userId: string | null, id: string, published: boolean): Promise<PostRow> {
      const { post } = await getOwnedPostOrThrow(userId, id);
      const updated = await posts.setStatus(post.id, published ? 'published' : 'draft');
      if (!updated) throw contentErrors.postNotFound();
      return updated;
    },

    async deletePost(userId: string | null, id: string): Promise<void> {
      const { post } = await getOwnedPostOrThrow(userId, id);
      await posts.delete(post.id);
    },
  };
}

export type PostService = ReturnType<typeof createPostService>;
