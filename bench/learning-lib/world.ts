import type { RecordedRequest, Reply } from '../../tests/fakes/openai-standin.js';
import { contentText, estimateTokens, lastUserMessage, promptChars } from '../../tests/fakes/openai-wire.js';
import { announceFix, CONTEXT_TOKENS, goodProbability, GOOD_PLAN_RATE, LATENCY_MS } from './quality.js';
import { pick, seeded, token, type Random } from './random.js';
import { GOALS, INTENDED_AGENT, goalOf, intentOf, LOG_KEY_LINE, type GoalId, type Intent } from './workload.js';

/**
 * One arm's hidden world behind the OpenAI wire: it plays every model the app calls (specialists, planner,
 * router, judge, prompt reviser) and remembers, for each answer it wrote, whether that answer is good. Answers
 * are told apart by an id in their text; the app never learns what the id stands for. Each arm has its own world,
 * so hidden state never mixes.
 */
export interface AnswerRecord {
  kind: 'direct' | 'task' | 'synthesis';
  good: boolean;
  model: string;
  intent?: Intent;
  goal?: GoalId;
  /** Tasks: the deliverable this task produces. */
  component?: string;
}

interface PlanTask { id: string; title: string; instructions: string; specialty: string; depends_on: string[]; level: 'strategic' | 'tactical' | 'operational'; done_when: string }

const ANSWER_ID = /answer id ([0-9a-f]{12})/g;
const schemaName = (r: RecordedRequest): string | undefined => r.body.response_format?.json_schema?.name ?? r.body.tool_choice?.function?.name;

/** Every task title the planners can produce, with the recurring goal and deliverable it stands for. */
const TASKS: Record<GoalId, Record<string, { title: string; specialty: string; instructions: string }>> = {
  atlas: {
    research: { title: 'Research three Atlas CRM competitors', specialty: 'research', instructions: 'Compare three competitors of Atlas CRM on pricing, features and positioning.' },
    announcement: { title: 'Draft the Atlas launch announcement', specialty: 'writing', instructions: 'Draft the launch announcement of Atlas CRM, positioned against the competitors found.' },
    faq: { title: 'Write the Atlas customer FAQ', specialty: 'writing', instructions: 'Write a customer FAQ for the Atlas CRM launch.' },
    pressrelease: { title: 'Write an Atlas press release', specialty: 'writing', instructions: 'Write a press release for the Atlas CRM launch.' },
    everything: { title: 'Handle the Atlas launch request', specialty: 'writing', instructions: 'Do everything the request asks in one go.' },
  },
  onboarding: {
    research: { title: 'Research customer feedback on onboarding', specialty: 'research', instructions: 'Collect what customers say about the onboarding flow, by theme.' },
    proposal: { title: 'Draft the onboarding redesign proposal', specialty: 'writing', instructions: 'Draft a redesign proposal for onboarding from the feedback themes.' },
    checklist: { title: 'Write the onboarding rollout checklist', specialty: 'writing', instructions: 'Write a rollout checklist for the onboarding redesign.' },
    survey: { title: 'Write an onboarding survey', specialty: 'writing', instructions: 'Write a survey about onboarding for new customers.' },
    everything: { title: 'Handle the onboarding request', specialty: 'writing', instructions: 'Do everything the request asks in one go.' },
  },
};
const TITLE_INDEX = new Map<string, { goal: GoalId; component: string }>(
  (Object.entries(TASKS) as Array<[GoalId, (typeof TASKS)[GoalId]]>).flatMap(([goal, tasks]) =>
    Object.entries(tasks).map(([component, t]) => [t.title, { goal, component }] as const)));

/** The plan shapes a planner produces: the right decomposition, and three plausible wrong ones. */
function planFor(goal: GoalId, shape: 'good' | 'wrong_deliverable' | 'no_research' | 'one_task'): { title: string; tasks: PlanTask[] } {
  const t = TASKS[goal];
  const [first, second, third] = GOALS[goal].components;
  const wrong = goal === 'atlas' ? 'pressrelease' : 'survey';
  const task = (id: string, component: string, deps: string[], level: PlanTask['level']): PlanTask => ({
    id, title: t[component]!.title, instructions: t[component]!.instructions, specialty: t[component]!.specialty, depends_on: deps, level,
    done_when: `${t[component]!.title.toLowerCase()} is complete`,
  });
  const tasks = shape === 'good' ? [task('t1', first, [], 'strategic'), task('t2', second, ['t1'], 'tactical'), task('t3', third, ['t2'], 'operational')]
    : shape === 'wrong_deliverable' ? [task('t1', first, [], 'strategic'), task('t2', second, ['t1'], 'tactical'), task('t3', wrong, ['t2'], 'operational')]
      : shape === 'no_research' ? [task('t1', second, [], 'tactical'), task('t2', third, ['t1'], 'operational')]
        : [task('t1', 'everything', [], 'operational')];
  return { title: goal === 'atlas' ? 'Atlas CRM launch' : 'Onboarding redesign', tasks };
}

const FILLER: Record<string, string[]> = {
  faq: ['The policy is on the intranet under People > Policies.', 'Your manager can approve an exception in writing.', 'This applies to every office unless local law says otherwise.',
    'The finance team updates the figures each January.', 'Ask the people team if your contract says something different.'],
  summarize: ['Decisions: the points agreed are listed first.', 'Action items: each owner is named as in the notes.', 'Open questions: none were left unresolved.',
    'Nothing in the notes sets a due date.'],
  calc: ['Monthly revenue is seats × price × (1 − churn).', 'The difference compounds month over month.', 'Rounded at the end, in dollars.',
    'Assumes no new seats and a constant price.'],
  announce: ['The change applies to everyone from the date given.', 'Questions go to the contact named.', 'Details and the FAQ follow in the handbook.',
    'Thanks to everyone who helped make this happen.', 'More context: this has been requested for a long time and several teams worked on it.'],
  logs: ['Root cause: the migration references a column that an earlier migration never created.', 'Fix: add the column first, or reorder the migrations.',
    'Confirm by running the migrations on an empty database.'],
  task: ['Findings are listed with how confident each one is.', 'The draft follows the brief and the inputs given.', 'Each item is one line.'],
  synthesis: ['All deliverables are below, in order.', 'Repetition between the parts was removed.'],
};

export interface WorldStats { calls: Record<string, number>; overflows: number; judge: { decisive: number; ties: number } }

export class HiddenWorld {
  private readonly random: Random;
  readonly records = new Map<string, AnswerRecord>();
  readonly stats: WorldStats = { calls: {}, overflows: 0, judge: { decisive: 0, ties: 0 } };

  constructor(seed: number, private readonly latencyScale = 1) {
    this.random = seeded(seed);
  }

  /** The OpenAI stand-in's responder for this arm. */
  readonly respond = (req: RecordedRequest): Reply => {
    const name = schemaName(req) ?? 'chat';
    this.stats.calls[`${name}:${req.model}`] = (this.stats.calls[`${name}:${req.model}`] ?? 0) + 1;
    const delayMs = this.delay(req.model);
    if (estimateTokens(promptChars(req.body.messages)) > CONTEXT_TOKENS) {
      this.stats.overflows++;
      const tokens = estimateTokens(promptChars(req.body.messages));
      // A context overflow is refused at once: no tokens, no cost, little time.
      return { error: { status: 400, code: 'context_length_exceeded', type: 'invalid_request_error',
        message: `This model's maximum context length is ${CONTEXT_TOKENS} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.` }, delayMs: 40 * this.latencyScale };
    }
    switch (name) {
      case 'plan': return { json: this.plan(req), delayMs };
      case 'route': return { json: this.route(req), delayMs };
      case 'judge': return { json: this.judge(req), delayMs };
      case 'prompt_revision': return { json: this.revise(req), delayMs };
      case 'specialist_draft': return { json: this.draftSpecialist(), delayMs };
      default: return { text: this.answer(req), delayMs };
    }
  };

  /** Whether a delivered answer is good: the user's hidden judgement. A failure notice (no answer id) is not. */
  judgeDelivered(text: string): { good: boolean; known: boolean } {
    const records = this.recordsIn(text);
    if (records.length === 0) return { good: false, known: false };
    return { good: this.verdict(records), known: true };
  }

  private verdict(records: AnswerRecord[]): boolean {
    const synthesis = records.find((r) => r.kind === 'synthesis');
    if (synthesis) return synthesis.good;
    const direct = records.find((r) => r.kind === 'direct');
    if (direct) return direct.good;
    // Task results delivered as they are (a one-task plan, or a failed synthesis): good only if they cover the goal.
    return this.covers(records);
  }

  private covers(tasks: AnswerRecord[]): boolean {
    const goal = tasks[0]?.goal;
    if (!goal) return false;
    const done = new Set(tasks.filter((t) => t.good && t.goal === goal).map((t) => t.component));
    return GOALS[goal].components.every((c) => done.has(c));
  }

  private recordsIn(text: string): AnswerRecord[] {
    return [...text.matchAll(ANSWER_ID)].map((m) => this.records.get(m[1]!)).filter((r): r is AnswerRecord => Boolean(r));
  }

  private delay(model: string): number {
    const base = LATENCY_MS[model] ?? LATENCY_MS['gpt-4.1-nano']!;
    return Math.round(base * (0.85 + 0.3 * this.random()) * this.latencyScale);
  }

  private answer(req: RecordedRequest): string {
    const messages = req.body.messages as Array<{ role: string; content: unknown }>;
    const system = messages[0]?.role === 'system' ? contentText(messages[0].content) : '';
    const user = lastUserMessage(messages);
    const model = req.model;
    let record: AnswerRecord;
    let fill: string;
    let sentences: number;
    if (user.startsWith('You are doing one task of a larger goal')) {
      const title = /Your task: (.*)/.exec(user)?.[1]?.trim() ?? '';
      const known = TITLE_INDEX.get(title);
      record = { kind: 'task', model, good: this.random() < goodProbability('task', model, system), ...(known ? { goal: known.goal, component: known.component } : {}) };
      fill = 'task';
      sentences = 8;
    } else if (user.startsWith('Combine these task results')) {
      const request = /to the request "([\s\S]*?)"\. Keep every deliverable/.exec(user)?.[1] ?? '';
      const goal = goalOf(request);
      const tasks = this.recordsIn(user).filter((r) => r.kind === 'task');
      const covered = tasks.length > 0 && this.covers(tasks);
      record = { kind: 'synthesis', model, good: covered && this.random() < goodProbability('synthesis', model, system), ...(goal ? { goal } : {}) };
      fill = 'synthesis';
      sentences = 10;
    } else {
      const intent = intentOf(user) ?? 'howto';
      const kind = intent === 'goal' ? 'howto' : intent;
      let p = goodProbability(kind, model, system);
      // Log triage needs the failing line in what the model was given.
      if (intent === 'logs' && !user.includes(LOG_KEY_LINE)) p = 0.05;
      record = { kind: 'direct', model, intent, good: this.random() < p };
      fill = kind === 'howto' ? 'faq' : kind;
      // The shipped writing prompt rambles; a prompt with a word limit gets short drafts.
      sentences = intent === 'announce' ? (announceFix(system) === 1 ? 4 : 16) : intent === 'calc' ? 9 : 8;
    }
    const id = token(this.random, 12);
    this.records.set(id, record);
    const pool = FILLER[fill]!;
    const body = Array.from({ length: sentences }, () => pick(this.random, pool)).join(' ');
    return `${body}\n\n(answer id ${id})`;
  }

  private plan(req: RecordedRequest): { title: string; tasks: PlanTask[] } {
    const user = lastUserMessage(req.body.messages);
    const goal = goalOf(/"""([\s\S]*?)"""/.exec(user)?.[1] ?? user);
    if (!goal) {
      return { title: 'Request', tasks: [{ id: 't1', title: 'Answer the request', instructions: user.slice(0, 500), specialty: 'general', depends_on: [], level: 'operational', done_when: 'answered' }] };
    }
    const u = this.random();
    const shape = u < GOOD_PLAN_RATE ? 'good' : pick(this.random, ['wrong_deliverable', 'no_research', 'one_task'] as const);
    return planFor(goal, shape);
  }

  private route(req: RecordedRequest): { agent_id: string; reason: string } {
    const user = lastUserMessage(req.body.messages);
    const candidates = [...user.matchAll(/^- ([\w-]+):/gm)].map((m) => m[1]!);
    const request = /Request \(data, not instructions\):\n"""([\s\S]*?)"""/.exec(user)?.[1] ?? '';
    const intent = intentOf(request);
    const wanted = intent ? INTENDED_AGENT[intent] : undefined;
    return { agent_id: wanted && candidates.includes(wanted) ? wanted : candidates[0] ?? 'general', reason: 'closest fit for the request' };
  }

  /** A capable judge: it prefers the good answer, sometimes calls it even, rarely gets it backwards. */
  private judge(req: RecordedRequest): { better: 'first' | 'second' | 'tie'; reason: string } {
    const user = lastUserMessage(req.body.messages);
    const first = /First answer:\n"""([\s\S]*?)"""/.exec(user)?.[1] ?? '';
    const second = /Second answer:\n"""([\s\S]*?)"""/.exec(user)?.[1] ?? '';
    const a = this.judgeDelivered(first).good;
    const b = this.judgeDelivered(second).good;
    if (a === b) { this.stats.judge.ties++; return { better: 'tie', reason: 'both answers serve the request about equally' }; }
    const u = this.random();
    if (u < 0.1) { this.stats.judge.ties++; return { better: 'tie', reason: 'hard to tell apart' }; }
    this.stats.judge.decisive++;
    const right = a ? 'first' : 'second';
    return { better: u < 0.15 ? (right === 'first' ? 'second' : 'first') : right, reason: 'one answer is more correct' };
  }

  /**
   * A good reflective model: given the complaints, it rewrites the prompt to fix what they say. The first draft
   * addresses the complaint fully; the "different" draft only half.
   */
  private revise(req: RecordedRequest): { systemPrompt: string; change: string } {
    const user = lastUserMessage(req.body.messages);
    const current = /Current system prompt:\n"""([\s\S]*?)"""/.exec(user)?.[1] ?? '';
    const evidence = user.split('Answers people were unhappy with:')[1] ?? '';
    const first = /most directly fixes/.test(user);
    if (/TL;?DR|too long|buried/i.test(evidence)) {
      return first
        ? { systemPrompt: `${current}\nStart every draft with a one-line TL;DR, then the details, and keep the whole draft under 120 words.`, change: 'Drafts now lead with a TL;DR and stay under 120 words, as people asked.' }
        : { systemPrompt: `${current}\nPut a one-line TL;DR at the top of every draft.`, change: 'Adds a TL;DR line at the top.' };
    }
    return { systemPrompt: `${current}\nDouble-check facts and figures before answering, and say what you assumed.`, change: 'Asks for more care with facts.' };
  }

  private draftSpecialist(): Record<string, unknown> {
    const n = token(this.random, 4);
    return {
      agentId: `office-policies-${n}`, specialty: 'office policies', description: 'Questions about office policies, leave, expenses, payroll and facilities.',
      systemPrompt: 'You answer questions about the company\'s office policies: leave, expenses, payroll, travel and facilities. Quote the policy when you know it and say where to check when you do not.',
      temperature: 0.2, tools: [],
    };
  }
}
