import { describe, expect, test } from 'vitest';
import { replayGuard } from '../../src/workflows/intent-guards.js';
import { matchWorkflow, scoreWorkflow } from '../../src/workflows/matcher.js';
import { findNameMention } from '../../src/workflows/name-mention.js';
import { nameTerms, parseText } from '../../src/workflows/request-text.js';
import { stem } from '../../src/workflows/stem.js';
import { correctTypo, editDistance } from '../../src/workflows/typo.js';

// Rule-level tests with requests of their own (not the labelled set's), so they say what each rule does.

const launchPlan = { name: 'launch-plan', description: 'Launch plan with timeline, owners and comms checklist', triggers: ['put together a launch plan for the new billing dashboard with timeline, owners and comms checklist'] };
const weeklyReport = { name: 'weekly-report', description: 'Weekly status report for leadership', triggers: ['write the weekly report for leadership: what shipped, what slipped, blockers'] };
const onboarding = { name: 'onboarding-checklist', description: null, triggers: ['make an onboarding checklist for our new backend engineer'] };
const digest = { name: 'digest', description: 'Daily digest of #alerts', triggers: ['summarise #alerts from the last day'] };
const workflows = [launchPlan, weeklyReport, onboarding, digest];

const mention = (request: string, name: string) => findNameMention(parseText(request).words, name, nameTerms(name))?.text ?? null;
const guard = (request: string) => {
  const parsed = parseText(request);
  return replayGuard(parsed, { positions: parsed.words.filter((w) => !w.stop).map((w) => w.position) })?.rule ?? null;
};
const matched = (request: string) => matchWorkflow(request, workflows).workflow?.name ?? null;

describe('name mentions', () => {
  test.each([
    ['run the launch plan again', 'launch plan'],
    ['Launch-Plan for the partner summit', 'launch plan'],
    ['LAUNCH PLAN pls', 'launch plan'],
    ['`launch-plan` for the new app', 'launch plan'],
    ['launchplan for Q3', 'launchplan'],
    ['the launch plans for both apps', 'launch plans'],
    ['a rollout plan for the new app', 'rollout plan'],
    ['lanch plan for the app', 'lanch plan'],
    ['plan for the launch of the app', 'plan for the launch'],
    ['plan the launch of the mobile app', 'plan the launch'],
  ])('%s → %s', (request, text) => {
    const words = parseText(request).words;
    // The typo case needs the corpus spelling; the matcher does that correction, so test it through matchWorkflow.
    if (request.startsWith('lanch')) expect(matchWorkflow(request, workflows).reason).toContain(`named in the request ("${text}")`);
    else expect(findNameMention(words, 'launch-plan', nameTerms('launch-plan'))?.text).toBe(text);
  });

  test('not a mention: the words apart, in another clause, or "launch" describing something else', () => {
    expect(mention('plan the launch dinner for friday', 'launch-plan')).toBeNull();
    expect(mention('the launch, and a plan for the party', 'launch-plan')).toBeNull();
    expect(mention('launch the new plan', 'launch-plan')).toBeNull();
    expect(mention('a marketing plan', 'launch-plan')).toBeNull();
  });

  test('head first after a preposition: "checklist for onboarding Sam", one word allowed before the modifier', () => {
    expect(mention('checklist for onboarding Sam', 'onboarding-checklist')).toBe('checklist for onboarding');
    expect(mention('report for this week', 'weekly-report')).toBe('report for this week');
    expect(mention('checklist for the new onboarding', 'onboarding-checklist')).toBe('checklist for the new onboarding');
    expect(mention('checklist for the very new onboarding', 'onboarding-checklist')).toBeNull();
  });

  test('a one-word name counts only with "workflow", backticks, or alone', () => {
    expect(mention('send me a digest of the news', 'digest')).toBeNull();
    expect(mention('run the digest workflow', 'digest')).toBe('digest');
    expect(mention('`digest` please', 'digest')).toBe('digest');
    expect(mention('digest again', 'digest')).toBe('digest');
  });
});

describe('guards', () => {
  test.each([
    ['cancel the launch plan', 'managing-verb'],
    ['hey, can you please delete the weekly report workflow', 'managing-verb'],
    ['send the weekly report to the execs', 'managing-verb'],
    ['the launch slipped a week, archive the launch plan', 'managing-verb'],
    ['what is a launch plan?', 'question'],
    ['how do you write a weekly report', 'question'],
    ['explain the launch plan to me', 'question'],
    ['the plan slipped again, why?', 'question'],
    ["don't do the weekly report this week", 'negation'],
    ['no launch plan this time', 'negation'],
    ['skip the workflow and plan it yourself', 'managing-verb'],
    ['do not use the workflow: weekly report', 'negation'],
    ['write the weekly report from scratch', 'fresh-start'],
    ['the weekly report looks great', 'statement'],
    ['churn went down this quarter', 'statement'],
  ])('%s → %s', (request, rule) => { expect(guard(request)).toBe(rule); });

  test.each([
    ['can you put together the launch plan?', 'launch-plan'],
    ['could you redo the weekly report for the execs?', 'weekly-report'],
    ['how did the week go? write the weekly report for leadership', 'weekly-report'],
    ["write the weekly report, but don't include hiring", 'weekly-report'],
    ['the launch is in March, we need a launch plan', 'launch-plan'],
  ])('no guard: %s', (request, name) => { expect(matched(request)).toBe(name); });

  test('a managing verb inside the name is part of the name, unless the name is written head first', () => {
    const parsed = parseText('release notes for 2.4');
    expect(replayGuard(parsed, { positions: [0, 1], mention: { start: 0, end: 1, inverted: false } })).toBeNull();
    const board = parseText('update the board');
    expect(replayGuard(board, { positions: [0, 2], mention: { start: 0, end: 2, inverted: true } })?.rule).toBe('managing-verb');
  });
});

describe('words', () => {
  test('stemming folds inflections and British spellings', () => {
    expect(['reports', 'report'].map(stem)).toEqual(['report', 'report']);
    expect(['planned', 'planning', 'plans'].map(stem)).toEqual(['plan', 'plan', 'plan']);
    expect(new Set(['summarise', 'summarize', 'summarised', 'summarizing'].map(stem)).size).toBe(1);
    expect(new Set(['release', 'released', 'releases', 'releasing'].map(stem)).size).toBe(1);
    expect(stem('need')).toBe('need');
    expect(stem('analysis')).toBe('analysis');
  });

  test('synonyms and phrases fold into one term; Slack markup and numbers are not words', () => {
    const terms = (t: string) => parseText(t).words.filter((w) => !w.stop && !w.numeric).map((w) => w.term);
    expect(terms('post-mortem')).toEqual(['postmortem']);
    expect(terms('a post incident review')).toEqual(['postmortem']);
    expect(terms('stand-up recap')).toEqual(['standup', 'summary']);
    expect(terms('<@U123> attrition in <#C1|general> for v2.3')).toEqual(['churn']);
    expect(parseText("don't").words.map((w) => w.raw)).toEqual(['do', 'not']);
  });

  test('typos: one edit from exactly one known word, five letters or more', () => {
    const vocabulary = new Map([['launch', 'launch'], ['report', 'report'], ['notes', 'notes'], ['nodes', 'nodes']]);
    expect(editDistance('reprot', 'report')).toBe(1);
    expect(correctTypo('lauch', vocabulary)).toEqual({ raw: 'launch', term: 'launch' });
    expect(correctTypo('reprot', vocabulary)).toEqual({ raw: 'report', term: 'report' });
    expect(correctTypo('repirt', vocabulary)).toEqual({ raw: 'report', term: 'report' });
    expect(correctTypo('rpeotr', vocabulary)).toBeNull(); // two edits
    expect(correctTypo('notdes', vocabulary)).toBeNull(); // notes or nodes: no guess
    expect(correctTypo('plam', new Map([['plan', 'plan']]))).toBeNull(); // too short
  });

  test('everyday words near a workflow word are not typos', () => {
    expect(matched('plan the lunch for friday')).toBeNull();
    expect(matched('lanch plan for friday')).toBe('launch-plan');
  });
});

describe('decisions', () => {
  test('reasons say what matched', () => {
    expect(matchWorkflow('run the launch plan again', workflows).reason).toBe('matched workflow launch-plan: named in the request ("launch plan"), asked to repeat it');
    expect(matchWorkflow('run workflow launch-plan', workflows)).toMatchObject({ rule: 'explicit-command', score: 1, reason: 'matched workflow launch-plan: asked for by name ("run workflow launch-plan")' });
    expect(matchWorkflow('write the status report for leadership on what shipped and slipped', workflows)).toMatchObject({ rule: 'similar', workflow: weeklyReport });
    expect(matchWorkflow('cancel the launch plan', workflows)).toMatchObject({ workflow: null, rule: 'managing-verb', reason: 'not replaying workflow launch-plan: "cancel" asks to manage it, not to run it' });
  });

  test('"run workflow <name>": a near spelling of one name, else nothing (never a lookalike)', () => {
    expect(matchWorkflow('run workflow launch-plans', workflows)).toMatchObject({ workflow: launchPlan, rule: 'explicit-command' });
    expect(matchWorkflow('run workflow launch-checklist', workflows)).toMatchObject({ workflow: null, reason: 'there is no active workflow named launch-checklist' });
  });

  test('two workflows named, or one named and another described: neither', () => {
    expect(matchWorkflow('the launch plan and the weekly report', workflows).rule).toBe('ambiguous');
    expect(matchWorkflow('the launch plan, then a checklist for onboarding our new engineer', workflows).rule).toBe('ambiguous');
  });

  test('an exact tie is broken by `prefer` (the store: saved before induced), otherwise ambiguous', () => {
    // The same example under two names that share no word with the request: equal scores.
    const saved = { ...weeklyReport, name: 'alpha', kind: 'saved' };
    const induced = { ...weeklyReport, name: 'bravo', kind: 'induced' };
    const request = 'summarise what shipped and slipped this week, with blockers, for leadership';
    expect(matchWorkflow(request, [induced, saved]).rule).toBe('ambiguous');
    const prefer = (a: { kind: string }, b: { kind: string }) => (a.kind === b.kind ? 0 : a.kind === 'saved' ? -1 : 1);
    expect(matchWorkflow(request, [induced, saved], { prefer }).workflow).toBe(saved);
  });

  test('scoreWorkflow: one workflow on its own', () => {
    expect(scoreWorkflow('launch plan for the app', launchPlan)).toMatchObject({ score: 1, rule: 'named' });
    expect(scoreWorkflow('write a poem', launchPlan)).toMatchObject({ score: 0, rule: 'none' });
    expect(scoreWorkflow('delete the launch plan', launchPlan)).toMatchObject({ score: 0, rule: 'managing-verb' });
  });

  test('no workflows, no match', () => {
    expect(matchWorkflow('run the launch plan again', [])).toMatchObject({ workflow: null, rule: 'none' });
  });
});
