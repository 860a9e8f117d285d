import type { Logger } from '../ops/logger.js';
import type { SlackFeature } from '../slack/slack-app.js';
import type { Store } from '../store/store.js';
import { ApprovalStore } from '../store/approvals.js';
import { ApprovalService } from './approval/approvals.js';
import { toolsSlackFeature } from './approval/slack-approval-actions.js';
import { builtinTools } from './builtin/index.js';
import { SlackAccess } from './builtin/slack-access.js';
import type { ExecutorOptions } from './executor.js';
import { McpManager } from './mcp/mcp-manager.js';
import { ToolRegistry } from './registry.js';
import type { ToolSettings } from '../config/tool-settings.js';

export interface ToolLayer {
  /** For UniversalAgentDeps.tools. */
  agentTools: { registry: ToolRegistry; maxRounds: number; executor: ExecutorOptions };
  approvals: ApprovalService;
  mcp: McpManager;
  /** Approve / Deny buttons, and the WebClient for the Slack tools. */
  slackFeature: SlackFeature;
  /** /health: required MCP servers as checks (503 when down); every server's state as details. */
  health: { checks: Record<string, () => Promise<boolean>>; details: () => Record<string, unknown> };
  close(): Promise<void>;
}

/** Composition of the tool layer from Config.tools; MCP servers start connecting in the background. */
export function createToolLayer(settings: ToolSettings, deps: { store: Store; logger: Logger }): ToolLayer {
  const logger = deps.logger.child({ component: 'tools' });
  const slack = new SlackAccess();
  const { tools, disabled } = builtinTools(settings, slack);
  const mcp = new McpManager(settings.mcp.servers, { logger, connectTimeoutMs: settings.mcp.connectTimeoutMs, retryMs: settings.mcp.retryMs });
  void mcp.start();
  const approvals = new ApprovalService(new ApprovalStore(deps.store.transport), { logger });
  return {
    agentTools: {
      registry: new ToolRegistry(tools, disabled, mcp),
      maxRounds: settings.maxRounds,
      executor: { timeoutMs: settings.timeoutMs, resultMaxChars: settings.resultMaxChars, approvalTimeoutMs: settings.approvalTimeoutMs, approvals, logger },
    },
    approvals,
    mcp,
    slackFeature: toolsSlackFeature(approvals, slack),
    health: { checks: mcp.requiredChecks(), details: () => (mcp.size > 0 ? { mcp: mcp.status() } : {}) },
    close: () => mcp.close(),
  };
}
