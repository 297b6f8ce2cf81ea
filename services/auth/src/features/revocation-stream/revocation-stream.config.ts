import { z } from '@malet/config';

export const revocationStreamEnvShape = {
  /** How often an open revocation stream sends a heartbeat, so a gateway notices a dead one. */
  REVOCATION_STREAM_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** How long revocations stay readable for gateways resuming a stream; older cursors get a reset. */
  REVOCATION_RETENTION_SECONDS: z.coerce.number().int().min(60).max(7 * 86_400).default(3_600),
};

export function revocationStreamConfigFrom(raw: { REVOCATION_STREAM_HEARTBEAT_MS: number; REVOCATION_RETENTION_SECONDS: number }) {
  return { heartbeatMs: raw.REVOCATION_STREAM_HEARTBEAT_MS, retentionSeconds: raw.REVOCATION_RETENTION_SECONDS };
}

export type RevocationStreamConfig = ReturnType<typeof revocationStreamConfigFrom>;
