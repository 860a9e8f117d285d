import { createServer } from 'node:net';
import { OpenAIEmbeddings } from '@langchain/openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { matchWorkflowWithEmbeddings, type Embed } from '../../src/workflows/embedding-fallback.js';
import { startOpenAIStandin, type OpenAIStandin } from '../fakes/openai-standin.js';

// The embeddings hook over the OpenAI wire (the stand-in embeds by character trigrams, so "close in meaning"
// here means "spelled alike"): when it is consulted, that the guards still hold, and that a failure falls back.

let openai: OpenAIStandin;
let embed: Embed;
beforeAll(async () => {
  openai = await startOpenAIStandin();
  const embeddings = new OpenAIEmbeddings({ model: 'text-embedding-3-small', apiKey: 'test', maxRetries: 0, configuration: { baseURL: openai.baseURL } });
  embed = (texts) => embeddings.embedDocuments(texts);
});
afterAll(async () => { await openai?.close(); });

const workflows = [
  { name: 'weekly-report', description: 'Weekly status report for leadership', triggers: ['write the weekly report for leadership'] },
  { name: 'launch-plan', description: 'Launch plan with owners and dates', triggers: ['put together a launch plan for the billing dashboard'] },
];
// Misspelt by two edits or more per word: the lexical matcher cannot read it.
const garbled = 'wrte teh weakley repourtt fro leaddershipp';

describe('embedding fallback', () => {
  test('not consulted when the lexical matcher decides', async () => {
    const before = openai.embeddingRequests.length;
    expect(await matchWorkflowWithEmbeddings('run the launch plan again', workflows, { embed })).toMatchObject({ workflow: workflows[1], rule: 'named' });
    expect(await matchWorkflowWithEmbeddings('cancel the launch plan', workflows, { embed })).toMatchObject({ workflow: null, rule: 'managing-verb' });
    expect(openai.embeddingRequests.length).toBe(before);
  });

  test('a request the words miss matches the closest workflow text, if close and clearly ahead', async () => {
    const decision = await matchWorkflowWithEmbeddings(garbled, workflows, { embed, minSimilarity: 0.3 });
    expect(decision).toMatchObject({ workflow: workflows[0], rule: 'embedding' });
    expect(decision.reason).toMatch(/^matched workflow weekly-report: close in meaning to its example "write the weekly report for leadership" \(cosine 0\.\d\d\)$/);
    expect(openai.embeddingRequests.at(-1).input).toHaveLength(1 + 4);
    expect(await matchWorkflowWithEmbeddings(garbled, workflows, { embed, minSimilarity: 0.99 })).toMatchObject({ workflow: null, rule: 'none' });
  });

  test('the guards still apply', async () => {
    expect(await matchWorkflowWithEmbeddings(`what is ${garbled}?`, workflows, { embed, minSimilarity: 0.3 })).toMatchObject({ workflow: null, rule: 'question' });
  });

  test('an embeddings failure leaves the lexical decision', async () => {
    const port = await closedPort();
    const down = new OpenAIEmbeddings({ model: 'text-embedding-3-small', apiKey: 'test', maxRetries: 0, configuration: { baseURL: `http://127.0.0.1:${port}/v1` } });
    const decision = await matchWorkflowWithEmbeddings(garbled, workflows, { embed: (t) => down.embedDocuments(t), minSimilarity: 0.3 });
    expect(decision).toMatchObject({ workflow: null, rule: 'none' });
    expect(decision.reason).toMatch(/\(embeddings unavailable\)$/);
  });
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
