/**
 * Sorts free-text feedback into the improvement categories the improvement loop acts on. Keyword rules, no
 * model call: /better must answer within Slack's 3 seconds and work with no model configured, and the rules
 * are predictable for users and tests. The first category whose rule matches wins, most specific first.
 */
export const FEEDBACK_CATEGORIES = ['bug', 'too_slow', 'wrong', 'incomplete', 'formatting', 'tone', 'other'] as const;
export type FeedbackCategory = (typeof FEEDBACK_CATEGORIES)[number];

export const CATEGORY_LABELS: Record<FeedbackCategory, string> = {
  bug: 'a bug', too_slow: 'too slow', wrong: 'wrong answer', incomplete: 'incomplete', formatting: 'formatting',
  tone: 'tone', other: 'other',
};

const RULES: Array<[FeedbackCategory, RegExp]> = [
  ['bug', /\b(bugs?|buggy|crash(ed|es)?|broke(n)?|(got|gave|shows?|showed|threw) an error|error message|exception|stack ?trace|glitch|didn'?t (work|respond|answer)|no (answer|response)|nothing happened|stuck|hang(s|ing)?|froze)\b/],
  ['too_slow', /\b(slow(er|ly)?|fast(er)?|quick(er|ly)?|speed|took (too |so )?long|too long to|latency|wait(ed|ing)?|ages|forever|timed? ?out)\b/],
  ['wrong', /\b(wrong|incorrect|inaccurate|false|not true|untrue|mistaken?|mistakes?|hallucinat\w*|made (it|that|this) up|invented|nonsense|error in|wrong number|miscalculat\w*|bad (math|answer|facts?))\b/],
  ['incomplete', /\b(incomplete|missing|missed|more detail(s|ed)?|not enough|too short|partial|cut off|left out|forgot|didn'?t (cover|include|mention)|only (half|part)|shallow|deeper|elaborate|sources?|examples?)\b/],
  ['formatting', /\b(format(ting|ted)?|markdown|bullet(s| points?)?|table|headings?|layout|code ?block|too long|verbose|wall of text|shorter|concise|structure|list)\b/],
  ['tone', /\b(tone|rude|polite|friendly|formal|informal|casual|condescending|patroni[sz]ing|robotic|stiff|emojis?|cheesy|snarky|blunt|harsh|apologi[sz]\w*)\b/],
];

/**
 * The category of a piece of feedback, or null when it asks for nothing (no text and not a low rating).
 * A low rating (1–2) without words still files a proposal ('other'): something was bad, the loop decides what.
 */
export function classifyFeedback(text: string | undefined, rating?: number): FeedbackCategory | null {
  const normalized = (text ?? '').toLowerCase().replace(/[’‘]/g, "'").trim();
  if (normalized) {
    for (const [category, rule] of RULES) if (rule.test(normalized)) return category;
    return 'other';
  }
  return rating !== undefined && rating <= 2 ? 'other' : null;
}
