import { expect, test } from 'vitest';
import {
  decisionTimeTable, formatDecisionTimeTable, simulateDecisionTime, type TargetMetricModel,
} from '../../../src/improvement/stats/decision-time.js';

// The README's "how long a decision takes" table, computed with the real decide() looked at once a day
// (200 simulated experiments per cell, default decision options, 20% of matching runs to the candidate).
const TRAFFIC = [100, 500, 2_000];
const cheaper: TargetMetricModel = { direction: 'lower_is_better', controlMean: 0.01, relativeChange: -0.3, coefficientOfVariation: 1 };
const sameCost: TargetMetricModel = { ...cheaper, relativeChange: 0 };

test('decision-time table for 100, 500 and 2,000 matching runs/day', () => {
  const rows = decisionTimeTable({
    requestsPerDay: TRAFFIC,
    scenarios: [
      { label: '30% cheaper, same success (margin 2 pts)', baselineSuccessRate: 0.7, target: cheaper, maxDays: 730 },
      { label: '30% cheaper, same success, margin 5 pts', baselineSuccessRate: 0.7, target: cheaper, maxDays: 730, decision: { nonInferiorityMargin: 0.05 } },
      { label: '30% cheaper, same success, 50/50 split', baselineSuccessRate: 0.7, target: cheaper, maxDays: 730, candidateShare: 0.5 },
      { label: 'success −5 pts, same cost', baselineSuccessRate: 0.7, successDifference: -0.05, target: sameCost, maxDays: 730 },
    ],
  });
  console.log(`\n${formatDecisionTimeTable(TRAFFIC, rows)}\n`);

  const [base, wideMargin, evenSplit, drop] = rows;
  const days = (row: typeof base, i: number) => row?.results[i]?.medianDays ?? Infinity;
  for (const row of rows) {
    // More traffic, sooner: the information per day grows linearly with traffic.
    expect(days(row, 0)).toBeGreaterThan(days(row, 1));
    expect(days(row, 1)).toBeGreaterThan(days(row, 2));
  }
  for (let i = 0; i < TRAFFIC.length; i++) {
    expect(days(wideMargin, i)).toBeLessThan(days(base, i));
    expect(days(evenSplit, i)).toBeLessThan(days(base, i));
  }
  // Days scale roughly as 1/traffic: 20× the traffic, between 10× and 30× sooner.
  const ratio = days(base, 0) / days(base, 2);
  expect(ratio).toBeGreaterThan(10);
  expect(ratio).toBeLessThan(30);
  // Each scenario ends the way it should.
  expect(base?.results[2]?.outcomes.promote).toBeGreaterThan(0.9);
  expect(drop?.results[2]?.outcomes.reject).toBeGreaterThan(0.9);
  expect(drop?.results[2]?.outcomes.promote).toBe(0);
});

test('the simulation is deterministic for a seed, and reports "not within maxDays" as null', () => {
  const scenario = { requestsPerDay: 100, baselineSuccessRate: 0.7, target: cheaper, simulations: 50, maxDays: 30, seed: 5 };
  expect(simulateDecisionTime(scenario)).toEqual(simulateDecisionTime(scenario));
  const result = simulateDecisionTime(scenario);
  expect(result.medianDays).toBeNull();
  expect(result.outcomes.undecided).toBeGreaterThan(0.5);
});
