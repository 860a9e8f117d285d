import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOpenAIStandin, type OpenAIStandin } from '../../tests/fakes/openai-standin.js';
import { newTriggerId, postSlashCommand } from '../../tests/fakes/slack-events.js';
import { startSlackStandin, type SlackStandin } from '../../tests/fakes/slack-standin.js';
import { freePort, startAppProcess, type AppProcess } from './app-process.js';
import { derive } from './random.js';
import { SlackWatch } from './slack-watch.js';
import { ArmUsers } from './users.js';
import { HiddenWorld } from './world.js';

export const SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';
export const ADMIN_USER = 'UADMIN';

/**
 * The settings that differ from the production defaults, identical in both arms (LEARNING_ENABLED aside). The
 * defaults are for real traffic (hours between analyst passes, 100 runs per arm); the bench compresses a few
 * days of learning into minutes. docs/LEARNING-BENCH.md says why each is set.
 */
export const BENCH_KNOBS: Record<string, string> = {
  DEFAULT_MODEL: 'gpt-4.1', // production default gpt-4.1-mini: both arms start expensive, so there is cost to learn away
  PLANNER_MODEL: 'gpt-4.1', // = production default
  SLACK_STREAMING: 'off', // production: auto (the stand-in does not stream)
  OUTCOME_WINDOW_SECONDS: '10', // production: 600
  IMPROVER_SCHEDULE: '*/15 * * * * *', // production: every 5 min
  ANALYST_ERRORS_SCHEDULE: '*/15 * * * * *', // production: every 15 min
  ANALYST_COST_SCHEDULE: '*/20 * * * * *', // production: hourly
  ANALYST_WORKFLOWS_SCHEDULE: '*/20 * * * * *', // production: every 6 h
  ANALYST_AGENTS_SCHEDULE: '*/30 * * * * *', // production: every 2 h
  EXPERIMENT_TRAFFIC_SHARE: '0.5', // production: 0.2
  EXPERIMENT_MIN_SAMPLES: '10', // production: 100
  EXPERIMENT_MAX_SAMPLES: '120', // production: 4000
  EXPERIMENT_MARGIN: '0.2', // production: 0.05 (no smaller margin can be shown with 10-60 runs per arm)
  ADMIN_USERS: ADMIN_USER,
};

export interface Arm {
  name: 'learning' | 'baseline';
  dataDir: string;
  logFile: string;
  slack: SlackStandin;
  openai: OpenAIStandin;
  world: HiddenWorld;
  watch: SlackWatch;
  app: AppProcess;
  users: ArmUsers;
  close(): Promise<void>;
}

/** One arm: its own Slack and OpenAI stand-ins (its own hidden world), its own database, its own app process. */
export async function startArm(name: Arm['name'], options: { seed: number; workers: number; latencyScale: number; extraEnv?: Record<string, string> }): Promise<Arm> {
  const dataDir = await mkdtemp(join(tmpdir(), `learnbench-${name}-`));
  const logFile = join(dataDir, 'app.log');
  const slack = await startSlackStandin();
  slack.addUser({ id: ADMIN_USER, name: 'bench-admin', real_name: 'Bench Admin', tz: 'UTC', is_admin: true });
  const members = [slack.botUserId, ADMIN_USER];
  for (let w = 0; w < options.workers; w++) {
    const id = ArmUsers.userOf(w);
    slack.addUser({ id, name: `person${w + 1}`, real_name: `Person ${w + 1}`, tz: 'Europe/Berlin' });
    members.push(id);
  }
  slack.addChannel({ id: 'C1', name: 'general', members });
  slack.addChannel({ id: 'C2', name: 'team', members });
  // The world's draws come from the same seed in both arms; each arm still has its own world.
  const world = new HiddenWorld(derive(options.seed, 'world'), options.latencyScale);
  const openai = await startOpenAIStandin();
  openai.setResponder(world.respond);
  const port = await freePort();
  const env = {
    ...BENCH_KNOBS,
    SLACK_BOT_TOKEN: 'xoxb-bench-token', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl,
    OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: openai.baseURL, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info',
    LEARNING_ENABLED: name === 'learning' ? 'true' : 'false',
    ...(options.extraEnv ?? {}),
  };
  const app = await startAppProcess(env, logFile, dataDir);
  const watch = new SlackWatch(slack);
  const users = new ArmUsers({ name, url: app.url, signingSecret: SIGNING_SECRET, slack, watch, world, seed: derive(options.seed, 'people'), latencyScale: options.latencyScale });
  return {
    name, dataDir, logFile, slack, openai, world, watch, app, users,
    async close() {
      watch.close();
      await app.stop();
      await Promise.all([slack.close(), openai.close()]);
    },
  };
}

/** Model spend so far, from the app's /metrics (loopback): for progress lines only; the figures come from the run log. */
export async function spendSoFar(arm: Arm): Promise<number> {
  const text = await fetch(`${arm.app.url}/metrics`).then((r) => r.text(), () => '');
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('improver_model_cost_usd_total')) sum += Number(line.split(' ').at(-1)) || 0;
  }
  return sum;
}

/** An admin's /improver command, answered privately at the response URL: what the app says it learned. */
export async function improverCommand(arm: Arm, text: string): Promise<string> {
  const id = `improver-${Date.now()}`;
  const response = await postSlashCommand(`${arm.app.url}/slack/events`, SIGNING_SECRET, {
    command: '/improver', text, user_id: ADMIN_USER, channel_id: 'C1', team_id: 'T1', trigger_id: newTriggerId(), response_url: arm.slack.responseUrl(id),
  });
  await response.text();
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const post = arm.slack.responseUrlPosts.find((p) => p.id === id);
    if (post) {
      const body = post.body as { text?: string; blocks?: Array<{ text?: { text?: string } }> };
      return body.text ?? (body.blocks ?? []).map((b) => b.text?.text ?? '').join('\n');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return '(no reply within 20 s)';
}
