import { describe, expect, it } from 'vitest';
import { createLogger } from '@malet/logging';
import { createBackgroundTasks } from './background';

describe('background tasks', () => {
  it('start after the current turn, and settle only when nested tasks have finished too', async () => {
    const background = createBackgroundTasks(createLogger({ service: 'spec', level: 'silent' }));
    const done: string[] = [];
    background.run('outer', async () => {
      done.push('outer');
      background.run('inner', async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        done.push('inner');
      });
    });
    expect(done).toEqual([]);
    await background.settled();
    expect(done).toEqual(['outer', 'inner']);
  });

  it('log a failing task instead of throwing, and still settle', async () => {
    const background = createBackgroundTasks(createLogger({ service: 'spec', level: 'silent' }));
    background.run('fails', async () => {
      throw new Error('boom');
    });
    await expect(background.settled()).resolves.toBeUndefined();
  });
});
