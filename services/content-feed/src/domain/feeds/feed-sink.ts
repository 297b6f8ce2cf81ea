/**
 * Where a feed is written as it is generated. `write` resolves when the sink can take more
 * (back-pressure), so a slow reader slows the generator instead of filling memory.
 */
export interface FeedSink {
  write(chunk: string): Promise<void>;
  /** True once the reader has gone: generation stops early. */
  readonly closed: boolean;
}

/** The validators and metadata a response needs before its body, computed without the body. */
export interface PreparedFeed {
  contentType: string;
  /** A strong entity tag, quoted. */
  etag: string;
  lastModified: Date | null;
  write(sink: FeedSink): Promise<void>;
}
