import type { WebClient } from '@slack/web-api';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../ops/logger.js';
import { slackErrorCode } from '../slack/slack-error.js';

/** Owners and admins of the workspace, from users.info (cached for five minutes: roles rarely change). */
const roles = new LRUCache<string, boolean>({ max: 5000, ttl: 300_000 });

/**
 * Who may steer the assistant (budgets, analysts, experiments): the workspace's owners and admins, and the
 * users listed in ADMIN_USERS. A failed users.info is treated as "not an admin" (logged), never as a yes.
 */
export async function isSlackAdmin(client: Pick<WebClient, 'users'>, userId: string, adminUsers: string[], log: Logger): Promise<boolean> {
  if (adminUsers.includes(userId)) return true;
  const cached = roles.get(userId);
  if (cached !== undefined) return cached;
  try {
    const { user } = await client.users.info({ user: userId });
    const admin = Boolean(user?.is_admin || user?.is_owner || user?.is_primary_owner);
    roles.set(userId, admin);
    return admin;
  } catch (error) {
    log.warn({ err: slackErrorCode(error) }, 'users.info failed; treating the caller as not an admin');
    return false;
  }
}
