import { derive, pick, seeded, weighted, type Random } from './random.js';

/**
 * The scripted workload: what people ask, in which order. Generated once from the seed, the same for both
 * arms. Each intent is a kind of request the hidden world (world.ts) judges by its own rules; the app sees only
 * the text. Texts avoid the action verbs that make a request look like a multi-step goal (except the goals) and
 * use words that route them to one specialist by the registry's full-text match.
 */
export const INTENTS = ['faq', 'howto', 'summarize', 'calc', 'announce', 'goal', 'logs'] as const;
export type Intent = (typeof INTENTS)[number];

/** Share of the asks per intent. Most traffic is simple; the rest is where a cheap model, a prompt or a plan matters. */
export const MIX: Record<Intent, number> = { faq: 20, howto: 10, summarize: 18, calc: 14, announce: 14, goal: 14, logs: 10 };

/** Who should answer each intent (what a good router would pick); goals are planned. */
export const INTENDED_AGENT: Record<Intent, string> = {
  faq: 'general', howto: 'general', summarize: 'summarizer', calc: 'data-analysis', announce: 'writing', goal: '(goal)', logs: 'coding',
};

export interface Ask {
  index: number;
  intent: Intent;
  text: string;
  /** Goals: which recurring goal. FAQ: which question. */
  templateId?: string;
  /** What the asker says when unhappy (words on a bad answer). */
  complaint: string;
}

/** Recurring questions: ten questions, two phrasings each; a few are asked far more than others. */
const FAQ: Array<[string, string]> = [
  ['What is the expense limit for a client dinner?', 'How much may I expense for a client dinner?'],
  ['How many vacation days do new hires get?', 'How much vacation do new hires get per year?'],
  ['When is payroll paid each month?', 'Which day of the month is payroll paid?'],
  ['What is the wifi password for the guest network?', 'Guest network wifi password please?'],
  ['Who approves laptop replacements?', 'Who signs off on a laptop replacement?'],
  ['What is the parental leave policy?', 'How many weeks of parental leave do we get?'],
  ['How do I reserve a room in the Berlin office?', 'Where do I reserve a room at the Berlin office?'],
  ['What is the per diem for travel to London?', 'How much per diem do we get in London?'],
  ['Does our health insurance cover dental work?', 'Is dental work covered by our health insurance?'],
  ['Is the office open on public holidays?', 'What are the office hours on public holidays?'],
];

const HOWTO_VERBS = ['share', 'archive', 'rename', 'export', 'restore', 'mute', 'pin', 'forward', 'transfer', 'reset'];
const HOWTO_OBJECTS = ['my calendar', 'a shared drive folder', 'my VPN profile', 'a purchase order', 'my badge photo', 'a guest account',
  'an expense report', 'my desk phone line', 'a recurring invoice', 'a printer queue', 'my parking permit', 'a travel booking'];
const HOWTO_WHEN = ['with a contractor', 'before my leave', 'on a Mac', 'from my phone', 'for the Paris office', 'after a reorg',
  'without admin rights', 'for next quarter'];

const PEOPLE = ['Ana', 'Ben', 'Chloe', 'Dev', 'Emeka', 'Farah', 'Goran', 'Hana', 'Ivo', 'Jia', 'Kofi', 'Lena'];
const TEAMS = ['platform', 'billing', 'growth', 'support', 'mobile', 'security', 'finance', 'sales'];
const NOTE_LINES = [
  'the hiring freeze stays until October', 'the offsite moves to the second week of May', 'the on-call rotation gets a fourth person',
  'customer churn in the Nordics is up two points', 'the price change ships on the first of the month', 'the budget for contractors is cut by ten percent',
  'the mobile release slips by one week', 'the new laptop policy starts in June', 'support tickets about invoices doubled',
  'the partner contract renewal is signed', 'the dashboard migration is done', 'the security audit found two medium issues',
  'the Berlin office gets a second floor', 'the referral bonus goes up to 3000 euros', 'two senior hires start on Monday',
  'the quarterly goals are agreed', 'the legacy export job is switched off', 'the translation vendor is replaced',
];

const ANNOUNCE_SUBJECTS = ['the Lisbon office opens', 'the new expense tool goes live', 'the winter shutdown starts', 'the wellness budget doubles',
  'the cafeteria reopens', 'the parking garage closes for repairs', 'the new travel portal goes live', 'the quarterly all-hands moves online',
  'the mentoring programme starts', 'the library of training courses opens', 'the bike-to-work scheme starts', 'the visitor badge system changes'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const CALC_FORMS = [
  (a: string, b: string, n: string, p: string) => `Unit economics numbers: churn drops from ${a}% to ${b}% across ${n} seats at $${p} per seat; monthly revenue impact?`,
  (a: string, b: string, n: string, p: string) => `Metrics and numbers: ${n} customers at $${p} a month, churn from ${a}% to ${b}%; what is the monthly revenue change?`,
  (a: string, b: string, n: string, p: string) => `Forecast numbers and metrics: ${n} seats at $${p}, churn ${a}% now, ${b}% next quarter; revenue in six months?`,
];

/** The recurring goals: always asked in the same words (people paste them from a runbook). */
export const GOALS = {
  atlas: {
    text: 'plan: research three competitors of our Atlas CRM, draft the launch announcement from that research, then write a customer FAQ',
    components: ['research', 'announcement', 'faq'] as const,
  },
  onboarding: {
    text: 'plan: research what customers say about our onboarding flow, draft a redesign proposal from that research, then write a rollout checklist',
    components: ['research', 'proposal', 'checklist'] as const,
  },
} as const;
export type GoalId = keyof typeof GOALS;

/** The line a log triage must find: near the top of the pasted log, so an answer from the start of the message can find it. */
export const LOG_KEY_LINE = 'ERROR migrate: migration 0042_tenant_index failed: column "tenant_id" does not exist';

const COMPLAINTS: Record<Intent, string> = {
  faq: 'That is not our policy, the answer is wrong.',
  howto: 'Those steps are wrong for our setup.',
  summarize: 'The summary missed what was agreed.',
  calc: 'The numbers are wrong, the arithmetic does not add up.',
  announce: 'Too long and the point is buried: start with a one-line TL;DR and keep it under 120 words.',
  goal: 'This is missing parts of what I asked for.',
  logs: 'No answer at all, it just failed.',
};

function logText(random: Random, index: number): string {
  const job = 4000 + index;
  const lines = [`Debugging request: explain the error in this stack trace of CI job ${job} (code, scripts and log below).`,
    'INFO runner started', 'INFO checkout ok', LOG_KEY_LINE, '    at Migrator.apply (db/migrate.ts:118)', '    at async main (db/migrate.ts:40)'];
  const noise = ['INFO worker heartbeat ok', 'INFO cache hit', 'INFO worker idle', 'INFO cache hit'];
  // Thousands of characters of routine output after the failure: what a long paste is mostly made of.
  while (lines.join('\n').length < 15_000) lines.push(pick(random, noise));
  return lines.join('\n');
}

function askText(random: Random, intent: Intent, index: number, faqWeights: number[]): { text: string; templateId?: string } {
  switch (intent) {
    case 'faq': {
      const q = weighted(random, faqWeights);
      const phrasing = random() < 0.7 ? 0 : 1;
      return { text: FAQ[q]![phrasing], templateId: `faq${q}.${phrasing}` };
    }
    case 'howto':
      return { text: `How do I ${pick(random, HOWTO_VERBS)} ${pick(random, HOWTO_OBJECTS)} ${pick(random, HOWTO_WHEN)}?` };
    case 'summarize': {
      const team = pick(random, TEAMS);
      const lines = Array.from({ length: 3 + Math.floor(random() * 3) }, () => `${pick(random, PEOPLE)}: ${pick(random, NOTE_LINES)}.`);
      return { text: `Meeting recap please: summarize the decisions and action items (TL;DR first) of the ${team} sync:\n${lines.join('\n')}` };
    }
    case 'calc': {
      const a = (2 + random() * 4).toFixed(1);
      const b = (Number(a) - 0.3 - random() * 1.5).toFixed(1);
      const n = String(500 + Math.floor(random() * 9500));
      const p = String(9 + Math.floor(random() * 90));
      return { text: pick(random, CALC_FORMS)(a, b, n, p) };
    }
    case 'announce':
      return { text: `Write the internal announcement: ${pick(random, ANNOUNCE_SUBJECTS)} on ${pick(random, MONTHS)} ${1 + Math.floor(random() * 28)}.` };
    case 'goal': {
      const id: GoalId = random() < 0.5 ? 'atlas' : 'onboarding';
      return { text: GOALS[id].text, templateId: id };
    }
    case 'logs':
      return { text: logText(random, index) };
  }
}

/** The whole script: `count` asks in order, from `seed`. */
export function buildScript(seed: number, count: number): Ask[] {
  const random = seeded(derive(seed, 'script'));
  const intents = INTENTS;
  const weights = intents.map((i) => MIX[i]);
  const faqWeights = FAQ.map((_, k) => 1 / (k + 1));
  const asks: Ask[] = [];
  for (let index = 0; index < count; index++) {
    const intent = intents[weighted(random, weights)]!;
    const { text, templateId } = askText(random, intent, index, faqWeights);
    asks.push({ index, intent, text, complaint: COMPLAINTS[intent], ...(templateId ? { templateId } : {}) });
  }
  return asks;
}

/**
 * The follow-up of someone unhappy with an answer, in the same thread: they say so and ask again (the app's
 * outcome tracker reads this as a correction). Long pastes are not pasted again.
 */
export function rephraseOf(ask: Ask, random: Random): string {
  const firstLine = ask.text.split('\n')[0]!;
  const opener = pick(random, ["That's not right.", "That's not what I asked.", 'No, try again:']);
  return `${opener} ${firstLine}`;
}

/** Which intent a request text belongs to (the hidden world reads requests by their wording, as a model would). */
export function intentOf(text: string): Intent | null {
  const t = text.replace(/<@[A-Z0-9]+>/g, '').replace(/^\s*(That's not right\.|That's not what I asked\.|No, try again:)\s*/i, '').trim();
  if (/^plan:/i.test(t)) return 'goal';
  if (/^Debugging request: explain the error/.test(t)) return 'logs';
  if (/^Meeting recap please: summarize/.test(t)) return 'summarize';
  if (/^Write the internal announcement:/.test(t)) return 'announce';
  if (/^(Unit economics numbers|Metrics and numbers|Forecast numbers and metrics):/.test(t)) return 'calc';
  if (FAQ.some((pair) => pair.includes(t))) return 'faq';
  if (/^How do I /.test(t)) return 'howto';
  return null;
}

/** Which recurring goal a goal text is. */
export function goalOf(text: string): GoalId | null {
  const t = text.replace(/<@[A-Z0-9]+>/g, '').trim();
  for (const [id, goal] of Object.entries(GOALS) as Array<[GoalId, (typeof GOALS)[GoalId]]>) {
    if (t.includes(goal.text.replace(/^plan:\s*/, ''))) return id;
  }
  return null;
}
