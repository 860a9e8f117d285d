import type { ActionsBlock } from '@slack/web-api';

/**
 * The feedback controls under every answer: 👍 / 👎 record a rating at once, "Tell us more" opens a modal.
 * Each button carries the run id, so a click is feedback on exactly that answer, whoever clicks it.
 */
export const FEEDBACK_UP = 'feedback_up';
export const FEEDBACK_DOWN = 'feedback_down';
export const FEEDBACK_MORE = 'feedback_more';
export const FEEDBACK_MODAL = 'feedback_modal';

export function feedbackActions(runId: string): ActionsBlock {
  const button = (actionId: string, text: string, label: string) => ({
    type: 'button' as const, action_id: actionId, value: runId, text: { type: 'plain_text' as const, text, emoji: true }, accessibility_label: label,
  });
  return {
    type: 'actions', block_id: 'feedback',
    elements: [
      button(FEEDBACK_UP, '👍', 'Good answer'),
      button(FEEDBACK_DOWN, '👎', 'Bad answer'),
      button(FEEDBACK_MORE, 'Tell us more', 'Say what should be better'),
    ],
  };
}

/** The "Tell us more" modal: an optional 1–5 rating and required words. Metadata says which answer. */
export function feedbackModal(meta: { runId: string; channelId?: string; threadTs?: string }): Record<string, unknown> {
  const labels = ['1 — bad', '2 — poor', '3 — okay', '4 — good', '5 — great'];
  return {
    type: 'modal', callback_id: FEEDBACK_MODAL, private_metadata: JSON.stringify(meta),
    title: { type: 'plain_text', text: 'Tell us more' },
    submit: { type: 'plain_text', text: 'Send' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input', block_id: 'rating', optional: true, label: { type: 'plain_text', text: 'How good was the answer?' },
        element: {
          type: 'static_select', action_id: 'value', placeholder: { type: 'plain_text', text: 'Pick a rating' },
          options: labels.map((text, i) => ({ text: { type: 'plain_text', text }, value: String(i + 1) })).reverse(),
        },
      },
      {
        type: 'input', block_id: 'text', label: { type: 'plain_text', text: 'What should be better?' },
        element: {
          type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 3000,
          placeholder: { type: 'plain_text', text: 'Too slow? Wrong? Missing something? Tone or formatting?' },
        },
      },
    ],
  };
}
