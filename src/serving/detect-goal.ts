/**
 * Recognises a goal — several steps with dependencies and deliverables — without a model call, where the
 * request makes it plain. Explicit: "plan: …" or "goal: …". Implicit: at least three distinct action verbs,
 * or two with a sequencing word ("then", "after that", "based on that"), or a numbered/bulleted list of
 * two or more steps. Anything else is not treated as a goal (one specialist answers it).
 */
export interface GoalDetection {
  isGoal: boolean;
  explicit: boolean;
  reason: string;
  /** The request without an explicit "plan:" prefix. */
  text: string;
}

const ACTION_VERBS = ['research', 'draft', 'write', 'summarize', 'summarise', 'compare', 'analyze', 'analyse', 'create',
  'build', 'review', 'outline', 'list', 'find', 'calculate', 'translate', 'design', 'prepare', 'compile', 'investigate',
  'evaluate', 'identify', 'propose', 'estimate', 'collect', 'gather', 'produce', 'rewrite', 'edit', 'test', 'implement',
  'document', 'benchmark', 'interview', 'survey', 'assess', 'recommend', 'plan'];
const SEQUENCING = /\b(then|after that|afterwards|next|finally|based on (that|this|those|them|it)|from (that|this|those|them)|once (that|this) is done|using (that|those|the results?))\b/i;

export function detectGoal(raw: string): GoalDetection {
  const explicitMatch = /^\s*(plan|goal)\s*:\s*/i.exec(raw);
  if (explicitMatch) {
    return { isGoal: true, explicit: true, reason: `explicit "${explicitMatch[1]!.toLowerCase()}:" request`, text: raw.slice(explicitMatch[0].length).trim() };
  }
  const text = raw.trim();
  const words = text.toLowerCase().match(/[a-z]+/g) ?? [];
  const verbs = new Set(words.filter((w) => ACTION_VERBS.includes(w)));
  const listItems = text.split('\n').filter((line) => /^\s*(\d+[.)]|[-*•])\s+\S/.test(line)).length;
  if (listItems >= 2 && verbs.size >= 2) return { isGoal: true, explicit: false, reason: `${listItems} listed steps`, text };
  if (verbs.size >= 3) return { isGoal: true, explicit: false, reason: `${verbs.size} distinct steps (${[...verbs].join(', ')})`, text };
  if (verbs.size >= 2 && SEQUENCING.test(text)) return { isGoal: true, explicit: false, reason: `steps in sequence (${[...verbs].join(', ')})`, text };
  return { isGoal: false, explicit: false, reason: 'a single request', text };
}
