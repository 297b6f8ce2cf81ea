import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';

/** Whether something already listens on `port` (a test bind on loopback fails with EADDRINUSE). */
export function isPortBusy(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE' || error.code === 'EACCES'));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

export interface PortHolder {
  pid: number;
  command: string;
}

/**
 * The process listening on a TCP port, read from /proc (Linux): the listening socket's inode in
 * /proc/net/tcp{,6}, then the process holding a descriptor to it. Null where /proc says nothing
 * (another OS, or a process of another user we may not inspect).
 */
export function findPortHolder(port: number): PortHolder | null {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [, local, , state] = fields;
      // State 0A is LISTEN; the local address ends in the port as hex.
      if (state === '0A' && local && parseInt(local.split(':').at(-1)!, 16) === port && fields[9]) inodes.add(fields[9]);
    }
  }
  if (inodes.size === 0) return null;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return null;
  }
  for (const pid of pids) {
    let descriptors: string[];
    try {
      descriptors = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of descriptors) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) return { pid: Number(pid), command: commandLine(Number(pid)) };
    }
  }
  return null;
}

/** A process's command line, shortened for one message line. */
export function commandLine(pid: number): string {
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return 'unknown';
  }
}

/** What to tell a user about one busy port: the number, whose it is, who holds it, what to do. */
export function describeBusyPort(port: number, owner: string, holder: PortHolder | null, remedy: string): string {
  const who = holder ? `held by pid ${holder.pid} (${holder.command})` : 'held by another process';
  return `port ${port} (${owner}) is already in use, ${who}. ${remedy}`;
}
