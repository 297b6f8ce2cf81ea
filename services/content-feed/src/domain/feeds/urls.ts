/** The public URLs of pages and feeds, all absolute under the configured base URL. */
export function createPublicUrls(baseUrl: string) {
  return {
    malet: (handle: string) => `${baseUrl}/m/${handle}`,
    post: (handle: string, slug: string) => `${baseUrl}/m/${handle}/blog/${slug}`,
    home: () => `${baseUrl}/`,
    rss: (handle: string) => `${baseUrl}/rss/m/${handle}/blogs.xml`,
    maletBlogSitemap: (handle: string) => `${baseUrl}/sitemap/m/${handle}/blogs.xml`,
    /** The numbered parts of a Malet's blog sitemap once it has more posts than one file holds. */
    maletBlogSitemapPart: (handle: string, part: number) => `${baseUrl}/sitemap/m/${handle}/blogs-${part}.xml`,
    /** Part 1 is the unnumbered file, so the seed's paths hold while a site is small. */
    sitemapPart: (kind: 'malets' | 'blogs', part: number) =>
      part === 1 ? `${baseUrl}/sitemap-${kind}.xml` : `${baseUrl}/sitemap-${kind}-${part}.xml`,
  };
}

export type PublicUrls = ReturnType<typeof createPublicUrls>;
