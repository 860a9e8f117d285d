/**
 * The word lists the workflow matcher reads. They describe English requests in general (task verbs, synonyms
 * for common work products, verbs that manage a thing rather than ask for it), not any one workspace's
 * workflows: the workflows themselves supply the rest of the vocabulary.
 */

/** Function words: no evidence either way, and never part of a name mention. */
export const STOPWORDS = new Set([
  'a', 'an', 'the', 'and', 'or', 'of', 'to', 'for', 'in', 'on', 'at', 'by', 'with', 'from', 'about', 'into', 'as', 'so',
  'is', 'are', 'be', 'been', 'was', 'were', 'am', 'it', 'its', 'this', 'that', 'these', 'those', 'there', 'here',
  'me', 'my', 'i', 'we', 'our', 'us', 'you', 'your', 'u', 'they', 'them', 'their', 'he', 'she', 'her', 'his', 'him',
  'please', 'pls', 'plz', 'can', 'could', 'would', 'will', 'should', 'shall', 'do', 'does', 'did', 'done', 'some', 'any',
  'then', 'also', 'just', 'hey', 'hi', 'hello', 'ok', 'okay', 'now', 'too', 'up', 'out', 'all', 'each', 'every', 'per',
  'what', 'which', 'who', 'how', 'why', 'when', 'where', 'if', 'but', 'than', 'very', 'really', 'quick', 'quickly',
  'one', 'via', 'using', 'use', 'based', 'like', 'same', 'again', 'usual', 'before', 'time', 'kindly', 'thanks', 'thank',
]);

/**
 * Task verbs and scheduling words shared by most requests ("draft … for next week"): they say that something
 * is asked for, not which workflow, so they weigh nothing in similarity.
 */
export const GENERIC_TERMS = new Set([
  'write', 'draft', 'make', 'create', 'run', 'put', 'together', 'prepare', 'produce', 'generate', 'build', 'give',
  'get', 'need', 'want', 'help', 'set', 'compose', 'start', 'kick', 'off', 'go', 'ahead', 'turn', 'work', 'come',
  'thing', 'stuff', 'something', 'let', 'lets', 'doc', 'new', 'today', 'yesterday', 'tomorrow', 'tonight', 'morning',
  'afternoon', 'evening', 'night', 'last', 'next', 'previous', 'current', 'monday', 'tuesday', 'wednesday', 'thursday',
  'friday', 'saturday', 'sunday', 'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august',
  'september', 'october', 'november', 'december', 'team', 'include', 'including', 'plus', 'only', 'first', 'top',
  'main', 'since', 'through', 'rest', 'attached', 'below', 'above', 'everyone',
]);

/**
 * Words and phrases that mean the same thing in a work request, under one canonical term. Members are
 * written plainly; the matcher stems single words and matches multi-word members as phrases.
 */
export const SYNONYM_GROUPS: Record<string, readonly string[]> = {
  summary: ['summary', 'summarize', 'summarise', 'summarization', 'summarisation', 'recap', 'roundup', 'round up',
    'digest', 'tldr', 'rundown', 'overview', 'wrap up'],
  postmortem: ['postmortem', 'post mortem', 'post incident review', 'incident review', 'rca', 'root cause analysis'],
  incident: ['incident', 'outage', 'downtime', 'sev'],
  retro: ['retro', 'retrospective'],
  launch: ['launch', 'rollout', 'roll out', 'go to market', 'gtm', 'go live'],
  competitor: ['competitor', 'competition', 'competitive', 'rival', 'competing'],
  price: ['price', 'pricing', 'charge', 'fee'],
  feature: ['feature', 'capability', 'functionality'],
  churn: ['churn', 'attrition', 'cancellation', 'cancel', 'cancelled', 'canceled', 'cancelling', 'canceling'],
  customer: ['customer', 'client'],
  analysis: ['analysis', 'analyze', 'analyse', 'dig into', 'breakdown', 'break down', 'deep dive'],
  research: ['research', 'investigate', 'look into'],
  compare: ['compare', 'comparison', 'vs', 'versus', 'against', 'benchmark'],
  onboarding: ['onboarding', 'onboard'],
  newhire: ['new hire', 'new joiner', 'new starter', 'new employee'],
  checklist: ['checklist', 'check list', 'todo list', 'to do list'],
  hiring: ['hiring', 'hire', 'recruiting', 'recruit', 'recruitment', 'interview', 'interviewing', 'candidate'],
  scorecard: ['scorecard', 'score card', 'rubric', 'evaluation form'],
  okr: ['okr', 'objectives and key results', 'key results'],
  quarter: ['quarter', 'quarterly'],
  month: ['month', 'monthly'],
  week: ['week', 'weekly'],
  day: ['day', 'daily'],
  standup: ['standup', 'stand up', 'daily scrum'],
  meeting: ['meeting', 'call', 'sync', 'huddle'],
  transcript: ['transcript', 'recording'],
  notes: ['notes', 'minutes'],
  actionitem: ['action item', 'follow up', 'next step', 'todo'],
  spend: ['spend', 'spending', 'expense', 'cost', 'burn'],
  forecast: ['forecast', 'projection'],
  ticket: ['ticket', 'support request', 'support case'],
  bug: ['bug', 'defect'],
  calendar: ['calendar', 'schedule of posts', 'posting schedule'],
  content: ['content', 'editorial'],
  security: ['security', 'appsec', 'threat model', 'threat modelling', 'threat modeling'],
  review: ['review', 'audit', 'assessment'],
  feedback: ['feedback', 'comment'],
  theme: ['theme', 'cluster', 'topic'],
  table: ['table', 'spreadsheet', 'matrix'],
  timeline: ['timeline', 'dates', 'milestone'],
  owner: ['owner', 'dri'],
  comms: ['comms', 'communications', 'announcement'],
  release: ['release'],
  changelog: ['changelog', 'change log', 'what changed', 'whats new'],
  pr: ['pr', 'pull request', 'merge request'],
  blocker: ['blocker', 'blocked', 'impediment'],
  leadership: ['leadership', 'exec', 'execs', 'executive', 'management'],
  report: ['report', 'status report'],
};

/**
 * Phrases that ask for a repeat of something done before. They strengthen a name mention and carry no
 * similarity evidence of their own ("like last time" says nothing about which workflow).
 */
export const REPEAT_PHRASES: readonly string[] = [
  'again', 'rerun', 're run', 'redo', 're do', 'repeat', 'once more', 'one more time', 'as before', 'like before',
  'as usual', 'the usual', 'like last time', 'like last week', 'like last month', 'like last quarter', 'like last sprint',
  'same as last time', 'same as last week', 'same as last month', 'same as last quarter', 'same as before',
  'same as yesterday', 'same as usual', 'same way',
];

/**
 * Verbs that manage a workflow or its output instead of asking for a new one: at the head of a request they
 * block a replay ("cancel the launch plan", "send the weekly report to Dana").
 */
export const MANAGING_VERBS = new Set([
  'cancel', 'delete', 'remove', 'stop', 'pause', 'halt', 'abort', 'disable', 'archive', 'kill', 'drop', 'undo',
  'revert', 'skip', 'rename', 'edit', 'modify', 'change', 'update', 'forget', 'unsave', 'deactivate', 'close',
  'end', 'terminate', 'postpone', 'move', 'reschedule', 'schedule', 'ignore', 'save', 'list', 'show', 'describe',
  'send', 'share', 'forward', 'post', 'publish', 'translate', 'proofread', 'review', 'fix', 'correct', 'open',
  'find', 'read', 'link', 'print', 'export', 'download', 'upload', 'pin', 'email', 'approve', 'reject', 'fill',
  'reply', 'respond', 'answer', 'increase', 'decrease', 'add', 'take', 'assign', 'copy', 'duplicate',
  'release', 'merge', 'deploy', 'tag', 'mark', 'rate', 'restore',
]);

/** Verbs that ask to be told about something rather than for the task ("explain churn vs retention"). */
export const ASKING_VERBS = new Set(['explain', 'define', 'tell', 'describe', 'clarify', 'teach', 'remind']);

/** Words that open a question. "do"/"can" are questions only before a pronoun ("do you know", "can we …?"). */
export const QUESTION_OPENERS = new Set([
  'what', 'whats', 'why', 'how', 'hows', 'who', 'whos', 'whom', 'whose', 'when', 'where', 'which', 'is', 'are', 'was',
  'were', 'does', 'did', 'has', 'have', 'had', 'should', 'shall', 'isnt', 'arent', 'wasnt', 'doesnt', 'didnt',
]);

/** "can you …", "could you …": a polite request, not a question, even with a question mark. */
export const POLITE_REQUEST_OPENERS = new Set(['can', 'could', 'would', 'will', 'wanna']);

/** Verbs of being or of what happened: "the launch plan looks good", "churn went down". */
export const STATE_VERBS = new Set([
  'is', 'was', 'are', 'were', 'looks', 'look', 'looked', 'seems', 'seemed', 'sounds', 'had', 'has', 'went', 'got',
  'broke', 'failed', 'worked', 'came', 'rose', 'dropped', 'fell', 'increased', 'decreased', 'grew', 'missed',
]);

/** Words that say something is asked for, wherever they stand. */
export const REQUEST_MARKERS = new Set(['need', 'needs', 'want', 'wants', 'please', 'pls', 'plz', 'lets', 'let']);

/** Words skipped before the head verb of a clause ("hey, can you please quickly …"). */
export const LEAD_FILLERS = new Set([
  'please', 'pls', 'plz', 'hey', 'hi', 'hello', 'ok', 'okay', 'so', 'now', 'quickly', 'also', 'just', 'kindly',
  'can', 'could', 'would', 'will', 'you', 'u', 'go', 'ahead', 'and', 'then', 'yo', 'well', 'right', 'alright',
  'i', 'we', 'wanna', 'want', 'need', 'to', 'lets', 'let', 'us', 'me', 'maybe', 'actually', 'again', 'gonna',
]);

export const NEGATIONS = new Set(['not', 'no', 'never', 'without', 'instead', 'rather', 'nope']);

/** Asking to do the task without replaying anything. */
export const FRESH_START_PHRASES: readonly string[] = ['from scratch', 'start fresh', 'fresh start', 'from zero', 'different from last time', 'differently'];

/**
 * Everyday words one letter away from common workflow words ("plan the lunch" is not "plan the launch").
 * Without a dictionary installed, typo correction cannot tell a misspelling from a different real word, so
 * the most likely collisions are listed here; the lexicon's own words are never corrected either.
 */
export const NOT_TYPOS = new Set([
  'lunch', 'print', 'prints', 'nodes', 'votes', 'resort', 'repost', 'weakly', 'dairy', 'retry', 'preview', 'outrage',
  'melting', 'poster', 'roster', 'scored', 'planet', 'plant', 'costly', 'sprite', 'launchd', 'supports', 'budge',
]);
