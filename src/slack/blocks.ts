import type { SectionBlock } from '@slack/web-api';

/** Slack refuses a section whose text exceeds 3,000 characters; stay clear of it. */
const SECTION_TEXT_MAX = 2900;

/** A Block Kit section of mrkdwn text, cut to what Slack accepts. */
export function mrkdwnSection(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, SECTION_TEXT_MAX) } };
}
