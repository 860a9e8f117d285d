/** Where analysts and budgets tell people what needs attention (ADMIN_CHANNEL in Slack, the console's output). */
export interface AdminNotices {
  post(text: string): Promise<void>;
}

export const NO_ADMIN_NOTICES: AdminNotices = { post: async () => {} };
