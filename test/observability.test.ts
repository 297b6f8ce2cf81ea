import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const prometheusDir = join(root, 'infra/prometheus');

/** Runs promtool; resolves with its exit code and output (a failure is an answer, not a throw). */
async function promtool(args: string[], cwd = prometheusDir) {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failure.code ?? 1, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

interface Dashboard {
  uid: string;
  panels: { title: string; datasource: { uid: string }; targets: { expr: string; refId: string }[] }[];
}

async function dashboardExpressions(): Promise<string[]> {
  const dashboard = JSON.parse(await readFile(join(root, 'infra/grafana/malet-gateway-auth.json'), 'utf8')) as Dashboard;
  return dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
}

describe('Prometheus alert rules', () => {
  it('pass promtool check rules, and the scrape config that loads them passes promtool check config', async () => {
    const rules = await promtool(['check', 'rules', 'alerts.yml']);
    expect(rules.output).toContain('SUCCESS: 9 rules found');
    expect(rules.code).toBe(0);
    const config = await promtool(['check', 'config', 'prometheus.yml']);
    expect(config.output).toContain('SUCCESS: 1 rule files found');
    expect(config.code).toBe(0);
  });

  it('fire on the series they are for and stay quiet otherwise (promtool test rules)', async () => {
    const result = await promtool(['test', 'rules', 'alerts.test.yml']);
    expect(result.output).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });

  it('are refused by promtool when broken, so the checks above can fail', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rules-'));
    try {
      await writeFile(join(dir, 'broken.yml'), 'groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: sum by (service (rate(x[5m]))\n');
      const result = await promtool(['check', 'rules', 'broken.yml'], dir);
      expect(result.code).not.toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the Grafana dashboard for the gateway and auth', () => {
  it('is a dashboard whose every panel queries Prometheus through the datasource variable', async () => {
    const dashboard = JSON.parse(await readFile(join(root, 'infra/grafana/malet-gateway-auth.json'), 'utf8')) as Dashboard;
    expect(dashboard.uid).toBe('malet-gateway-auth');
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    for (const panel of dashboard.panels) {
      expect(panel.datasource.uid, panel.title).toBe('${datasource}');
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
    }
    const titles = dashboard.panels.map((panel) => panel.title).join('\n');
    expect(titles).toMatch(/^Gateway:/m);
    expect(titles).toMatch(/^Auth:/m);
  });

  it('has only expressions promtool parses as PromQL', async () => {
    const expressions = await dashboardExpressions();
    const dir = await mkdtemp(join(tmpdir(), 'dashboard-'));
    try {
      // Each panel query as a recording rule: promtool parses every expression of a rules file.
      const rules = expressions
        .map((expr, index) => `      - record: dashboard:panel_${index}\n        expr: ${JSON.stringify(expr.replaceAll('$__rate_interval', '5m'))}`)
        .join('\n');
      await writeFile(join(dir, 'dashboard.yml'), `groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
      const result = await promtool(['check', 'rules', 'dashboard.yml'], dir);
      expect(result.output).toContain(`SUCCESS: ${expressions.length} rules found`);
      expect(result.code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
