import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceRoot } from '@malet/config';
import gql from 'graphql-tag';
import type { SubgraphContext } from '@malet/graphql-server';
import type { MaletRepository, MaletRow } from '../data/malet.repository';
import type { PostRow } from '../data/post.repository';
import { contentErrors } from '../domain/content.errors';
import { createPublicUrls } from '../domain/feeds/urls';
import { normalizeHandle } from '../domain/handle';
import { requireUserId, type MaletService } from '../domain/malet.service';
import type { PostService } from '../domain/post.service';
import type { Loaders } from './loaders';

export const typeDefs = gql(readFileSync(join(serviceRoot(import.meta.url), 'src/schema.graphql'), 'utf8'));

export interface ContentFeedContext extends SubgraphContext {
  loaders: Loaders;
}

interface HandleArgs {
  handle: string;
}
interface IdArgs {
  id: string;
}

const user = (id: string) => ({ __typename: 'User' as const, id });

export function createResolvers(deps: {
  malets: MaletRepository;
  maletService: MaletService;
  postService: PostService;
  publicBaseUrl: string;
}) {
  const { malets, maletService, postService } = deps;
  const urls = createPublicUrls(deps.publicBaseUrl);

  return {
    Query: {
      async malet(_parent: unknown, args: HandleArgs) {
        const handle = normalizeHandle(args.handle);
        return handle ? malets.findByHandle(handle) : null;
      },
      blogPost: (_parent: unknown, args: HandleArgs & { slug: string }, context: ContentFeedContext) =>
        postService.findVisiblePost(context.identity.userId, args.handle, args.slug),
      myMalets: (_parent: unknown, _args: unknown, context: ContentFeedContext) =>
        context.loaders.maletsByOwner.load(requireUserId(context.identity.userId)),
    },

    Mutation: {
      createMalet: (_parent: unknown, args: { input: unknown }, context: ContentFeedContext) =>
        maletService.createMalet(context.identity.userId, args.input),
      updateMalet: (_parent: unknown, args: HandleArgs & { input: unknown }, context: ContentFeedContext) =>
        maletService.updateMalet(context.identity.userId, args.handle, args.input),
      async deleteMalet(_parent: unknown, args: HandleArgs, context: ContentFeedContext) {
        await maletService.deleteMalet(context.identity.userId, args.handle);
        return true;
      },
      createBlogPost: (_parent: unknown, args: HandleArgs & { input: unknown }, context: ContentFeedContext) =>
        postService.createPost(context.identity.userId, args.handle, args.input),
      updateBlogPost: (_parent: unknown, args: IdArgs & { input: unknown }, context: ContentFeedContext) =>
        postService.updatePost(context.identity.userId, args.id, args.input),
      publishBlogPost: (_parent: unknown, args: IdArgs, context: ContentFeedContext) =>
        postService.setPublished(context.identity.userId, args.id, true),
      unpublishBlogPost: (_parent: unknown, args: IdArgs, context: ContentFeedContext) =>
        postService.setPublished(context.identity.userId, args.id, false),
      async deleteBlogPost(_parent: unknown, args: IdArgs, context: ContentFeedContext) {
        await postService.deletePost(context.identity.userId, args.id);
        return true;
      },
    },

    Malet: {
      __resolveReference: (reference: { id: string }, context: ContentFeedContext) =>
        context.loaders.maletsById.load(reference.id),
      owner: (malet: MaletRow) => user(malet.ownerId),
      url: (malet: MaletRow) => urls.malet(malet.handle),
      rssUrl: (malet: MaletRow) => urls.rss(malet.handle),
      createdAt: (malet: MaletRow) => malet.createdAt.toISOString(),
      updatedAt: (malet: MaletRow) => malet.updatedAt.toISOString(),
      async posts(
        malet: MaletRow,
        args: { first?: number | null; after?: string | null; includeDrafts?: boolean | null },
        context: ContentFeedContext,
      ) {
        const page = await postService.listPosts(context.identity.userId, malet, args);
        // Posts this request already holds need no second look-up when a field asks for them.
        for (const post of page.posts) context.loaders.postsById.prime(post.id, post);
        context.loaders.maletsById.prime(malet.id, malet);
        return {
          nodes: page.posts,
          edges: page.posts.map((post, i) => ({ node: post, cursor: page.cursors[i]! })),
          pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.cursors.at(-1) ?? null },
        };
      },
    },

    BlogPost: {
      async __resolveReference(reference: { id: string }, context: ContentFeedContext) {
        const post = await context.loaders.postsById.load(reference.id);
        if (!post) return null;
        const malet = post.status === 'published' ? null : await context.loaders.maletsById.load(post.maletId);
        return postService.canSee(post, malet, context.identity.userId) ? post : null;
      },
      async malet(post: PostRow, _args: unknown, context: ContentFeedContext) {
        const malet = await context.loaders.maletsById.load(post.maletId);
        // The foreign key cascades, so a post without its Malet was deleted mid-request.
        if (!malet) throw contentErrors.maletNotFound();
        return malet;
      },
      author: (post: PostRow) => user(post.authorId),
      status: (post: PostRow) => (post.status === 'published' ? 'PUBLISHED' : 'DRAFT'),
      async url(post: PostRow, _args: unknown, context: ContentFeedContext) {
        const malet = await context.loaders.maletsById.load(post.maletId);
        if (!malet) throw contentErrors.maletNotFound();
        return urls.post(malet.handle, post.slug);
      },
      publishedAt: (post: PostRow) => post.publishedAt?.toISOString() ?? null,
      createdAt: (post: PostRow) => post.createdAt.toISOString(),
      updatedAt: (post: PostRow) => post.updatedAt.toISOString(),
    },

    User: {
      __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
      malets: (parent: { id: string }, _args: unknown, context: ContentFeedContext) =>
        context.loaders.maletsByOwner.load(parent.id),
    },
  };
}
