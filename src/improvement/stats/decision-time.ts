import { AppError } from '../../errors.js';
import type { ArmStats } from './arm-stats.js';
import { decide, type DecisionOptions, type ExperimentDecision, type TargetDirection } from './decide.js';
import { mulberry32, normalSampler, type Uniform } from './random.js';

/*
 * "How long does a decision take at our traffic?" Simulates experiments day by day, with the real decide()
 * looked at once a day, and reports the median number of days to promote or reject.
 *
 * Model, kept deliberately simple (what matters for the time is the information per day, not the details):
 * - each day brings `requestsPerDay` runs that match the experiment's target; a fixed share goes to the
 *   candidate (the split is exact, not random: assignment noise changes nothing worth measuring here);
 * - success is Bernoulli (drawn exactly for small daily counts, by the normal approximation above 64);
 * - the target metric's daily sum is drawn from its normal limit with the given mean and coefficient of
 *   variation, and its variance is taken as known. The per-observation behaviour of the test with skewed
 *   data (where variance is estimated) is what the A/A tests in tests/improvement/stats measure instead.
 * Experiments not decided after `maxDays` count as undecided; stop_inconclusive (the sample cap) is not a
 * decision. When fewer than half decide, the median is null ("more than maxDays").
 */

export interface TargetMetricModel {
  direction: TargetDirection;
  /** Mean per run in the control arm (any unit: dollars, ms, score). */
  controlMean: number;
  /** Candidate mean = controlMean·(1 + relativeChange); −0.3 is 30% lower. */
  relativeChange: number;
  /** Standard deviation / mean per run, in both arms. Run costs are typically around 1. */
  coefficientOfVariation: number;
}

export interface DecisionTimeScenario {
  /** Runs per day matching the experiment's target. */
  requestsPerDay: number;
  /** Share of those runs sent to the candidate. Default 0.2. */
  candidateShare?: number;
  baselineSuccessRate: number;
  /** Candidate success rate − control's (absolute). Default 0. */
  successDifference?: number;
  target: TargetMetricModel;
  decision?: DecisionOptions;
  /** Default 365. */
  maxDays?: number;
  /** Simulated experiments. Default 200. */
  simulations?: number;
  seed?: number;
}

export interface DecisionTimeResult {
  /** Median days to promote or reject; null when fewer than half decide within maxDays. */
  medianDays: number | null;
  maxDays: number;
  /** Fractions of the simulated experiments, by how they ended within maxDays. */
  outcomes: Record<ExperimentDecision | 'undecided', number>;
}

export function simulateDecisionTime(scenario: DecisionTimeScenario): DecisionTimeResult {
  const share = scenario.candidateShare ?? 0.2;
  const maxDays = scenario.maxDays ?? 365;
  const simulations = scenario.simulations ?? 200;
  const successDifference = scenario.successDifference ?? 0;
  const candidateSuccess = scenario.baselineSuccessRate + successDifference;
  if (!(share > 0 && share < 1)) throw invalid('candidateShare must lie in (0, 1)', { share });
  if (!(scenario.requestsPerDay > 0)) throw invalid('requestsPerDay must be positive', { requestsPerDay: scenario.requestsPerDay });
  if (!(scenario.baselineSuccessRate >= 0 && scenario.baselineSuccessRate <= 1 && candidateSuccess >= 0 && candidateSuccess <= 1)) {
    throw invalid('success rates must lie in [0, 1]', { baseline: scenario.baselineSuccessRate, candidate: candidateSuccess });
  }
  const t = scenario.target;
  const controlSd = t.coefficientOfVariation * Math.abs(t.controlMean);
  const candidateMean = t.controlMean * (1 + t.relativeChange);
  const candidateSd = t.coefficientOfVariation * Math.abs(candidateMean);

  const options: DecisionOptions = scenario.decision ?? {};
  const uniform = mulberry32(scenario.seed ?? 1);
  const normal = normalSampler(uniform);
  const days: number[] = [];
  const outcomes: DecisionTimeResult['outcomes'] = { promote: 0, reject: 0, stop_inconclusive: 0, continue: 0, undecided: 0 };
  for (let sim = 0; sim < simulations; sim++) {
    const candidate = new SimulatedArm(candidateSuccess, candidateMean, candidateSd);
    const control = new SimulatedArm(scenario.baselineSuccessRate, t.controlMean, controlSd);
    let ending: ExperimentDecision | 'undecided' = 'undecided';
    let decidedOn = Infinity;
    for (let day = 1; day <= maxDays; day++) {
      const total = Math.round(day * scenario.requestsPerDay);
      const candidateTotal = Math.round(total * share);
      candidate.advanceTo(candidateTotal, uniform, normal);
      control.advanceTo(total - candidateTotal, uniform, normal);
      const { decision } = decide({
        success: { candidate: candidate.success(), control: control.success() },
        target: { candidate: candidate.target(), control: control.target(), direction: t.direction },
        options,
      });
      if (decision === 'continue') continue;
      ending = decision;
      if (decision !== 'stop_inconclusive') decidedOn = day;
      break;
    }
    outcomes[ending] += 1 / simulations;
    days.push(decidedOn);
  }
  days.sort((a, b) => a - b);
  const median = days[Math.floor((days.length - 1) / 2)] ?? Infinity;
  return { medianDays: Number.isFinite(median) ? median : null, maxDays, outcomes };
}

export interface DecisionTimeRow {
  label: string;
  /** One result per entry of requestsPerDay, in the same order. */
  results: DecisionTimeResult[];
}

export interface DecisionTimeTableInput {
  requestsPerDay: number[];
  scenarios: Array<{ label: string } & Omit<DecisionTimeScenario, 'requestsPerDay'>>;
}

/** The README's "how long a decision takes" table: one row per scenario, one column per traffic level. */
export function decisionTimeTable(input: DecisionTimeTableInput): DecisionTimeRow[] {
  return input.scenarios.map(({ label, ...scenario }) => ({
    label,
    results: input.requestsPerDay.map((requestsPerDay) => simulateDecisionTime({ ...scenario, requestsPerDay })),
  }));
}

/** Markdown rendering: "median days (share of experiments ending that way)". */
export function formatDecisionTimeTable(requestsPerDay: number[], rows: DecisionTimeRow[]): string {
  const header = `| scenario | ${requestsPerDay.map((r) => `${r.toLocaleString('en-US')} runs/day`).join(' | ')} |`;
  const rule = `|---|${requestsPerDay.map(() => '---').join('|')}|`;
  const cell = (r: DecisionTimeResult) => {
    if (r.medianDays === null) return `> ${r.maxDays} d`;
    const [top, share] = Object.entries(r.outcomes).sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
    return `${r.medianDays} d (${top} ${Math.round(share * 100)}%)`;
  };
  return [header, rule, ...rows.map((row) => `| ${row.label} | ${row.results.map(cell).join(' | ')} |`)].join('\n');
}

/** Running totals for one simulated arm, advanced a day at a time. */
class SimulatedArm {
  private count = 0;
  private successes = 0;
  private targetSum = 0;

  constructor(private readonly successRate: number, private readonly mean: number, private readonly sd: number) {}

  advanceTo(count: number, uniform: Uniform, normal: () => number): void {
    const n = count - this.count;
    if (n <= 0) return;
    this.successes += binomial(n, this.successRate, uniform, normal);
    this.targetSum += n * this.mean + Math.sqrt(n) * this.sd * normal();
    this.count = count;
  }

  success(): ArmStats {
    return { count: this.count, sum: this.successes, sumOfSquares: this.successes };
  }

  /** Totals whose sample variance is exactly sd² (the known-variance model above). */
  target(): ArmStats {
    const n = this.count;
    if (n === 0) return { count: 0, sum: 0, sumOfSquares: 0 };
    return { count: n, sum: this.targetSum, sumOfSquares: (n - 1) * this.sd * this.sd + (this.targetSum * this.targetSum) / n };
  }
}

function binomial(n: number, p: number, uniform: Uniform, normal: () => number): number {
  if (n <= 64) {
    let k = 0;
    for (let i = 0; i < n; i++) if (uniform() < p) k++;
    return k;
  }
  const draw = Math.round(n * p + Math.sqrt(n * p * (1 - p)) * normal());
  return Math.min(n, Math.max(0, draw));
}

function invalid(message: string, details: Record<string, unknown>): AppError {
  return new AppError('INPUT_INVALID', message, { details });
}
