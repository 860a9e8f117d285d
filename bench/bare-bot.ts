/**
 * The baseline: the least a Slack bot on this stack does per mention. Bolt's HTTPReceiver (signature check,
 * ack), one ChatOpenAI call, one chat.postMessage in the thread. No database, no routing, no logging beyond
 * Bolt's. Configured like the app (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL, OPENAI_BASE_URL,
 * OPENAI_API_KEY, DEFAULT_MODEL, PORT); /health answers 200 once it listens.
 */
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { HumanMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`bare bot: ${name} is required`);
  return value;
};

const receiver = new HTTPReceiver({
  signingSecret: env('SLACK_SIGNING_SECRET'),
  endpoints: '/slack/events',
  customRoutes: [{ path: '/health', method: ['GET'], handler: (_req, res) => { res.writeHead(200).end('ok'); } }],
});
const app = new App({
  token: env('SLACK_BOT_TOKEN'),
  receiver,
  logLevel: LogLevel.WARN,
  clientOptions: { slackApiUrl: env('SLACK_API_URL', 'https://slack.com/api/') },
});
const model = new ChatOpenAI({
  model: env('DEFAULT_MODEL', 'gpt-4.1-mini'),
  apiKey: env('OPENAI_API_KEY', 'not-needed'),
  configuration: { baseURL: env('OPENAI_BASE_URL') },
  maxRetries: 2,
});

app.event('app_mention', async ({ event, client }) => {
  const answer = await model.invoke([new HumanMessage(event.text)]);
  await client.chat.postMessage({
    channel: event.channel, thread_ts: event.thread_ts ?? event.ts,
    text: typeof answer.content === 'string' ? answer.content : JSON.stringify(answer.content),
  });
});

await app.start(Number(env('PORT', '3000')));
const stop = () => { void app.stop().finally(() => process.exit(0)); };
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
