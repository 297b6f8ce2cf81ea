import { AppError, ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '@malet/errors';

/** This service's error codes, each declared once with its status and default message. */
export const contentErrors = {
  unauthenticated: () => new UnauthenticatedError('Sign in to change Malets and posts', 'auth:unauthenticated'),
  notOwner: () => new ForbiddenError('Only the owner of this Malet may change it', 'malet:not_owner'),
  draftsForbidden: () => new ForbiddenError('Only the owner of this Malet may see its drafts', 'malet:not_owner'),
  maletNotFound: () => new NotFoundError('No Malet with that handle', 'malet:not_found'),
  postNotFound: () => new NotFoundError('No such blog post', 'post:not_found'),
  handleInvalid: () =>
    new ValidationError(
      'handle must be 3 to 40 characters: letters, digits and single hyphens, starting and ending with a letter or digit',
      ['input.handle'],
      'malet:handle_invalid',
    ),
  handleReserved: () => new ValidationError('That handle is reserved', ['input.handle'], 'malet:handle_reserved'),
  handleTaken: () => new ConflictError('That handle is taken', 'malet:handle_taken'),
  tooManyMalets: (limit: number) => new ConflictError(`A user may own at most ${limit} Malets`, 'malet:limit_reached'),
  slugInvalid: () =>
    new ValidationError('slug must be lower-case letters and digits joined by single hyphens, at most 100 characters', ['input.slug'], 'post:slug_invalid'),
  slugTaken: () => new ConflictError('Another post of this Malet has that slug', 'post:slug_taken'),
  // Feeds
  handleMalformed: () => new AppError(400, 'malet:handle_invalid', 'Not a Malet handle'),
  sitemapPartNotFound: () => new NotFoundError('No such sitemap part', 'sitemap:part_not_found'),
  feedNotFound: () => new NotFoundError('No such feed', 'feed:not_found'),
};
