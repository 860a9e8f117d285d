/**
 * In-memory workspace behind the Slack Web API stand-in (slack-standin.ts): users, channels,
 * messages, streams, uploads, views, and the method implementations that read and write them.
 * Response shapes follow node_modules/@slack/web-api/dist/types/response/*.d.ts.
 */
type Args = Record<string, any>;

export interface StandinUser { id: string; name: string; real_name?: string; title?: string; tz?: string; is_bot?: boolean; is_admin?: boolean; is_owner?: boolean }
export interface StandinChannel { id: string; name: string; members: string[]; is_im?: boolean; is_private?: boolean }
export interface StandinUpload {
  file_id: string; filename: string; length?: number; bytes: Buffer; uploaded: boolean; completed: boolean;
  channel_id?: string; thread_ts?: string; title?: string; initial_comment?: string;
}
export interface AssistantThreadState { status?: string; loading_messages?: string[]; prompts?: Array<{ title: string; message: string }>; prompts_title?: string; title?: string }

/** Thrown by a method implementation; the stand-in answers `{ ok: false, error, ...extra }` with HTTP 200. */
export class SlackApiFailure extends Error {
  constructor(readonly error: string, readonly extra: Record<string, unknown> = {}) { super(error); }
}
const fail = (error: string, detail?: string): never => {
  throw new SlackApiFailure(error, detail ? { response_metadata: { messages: [`[ERROR] ${detail}`] } } : {});
};

const toMicros = (ts: string): number => {
  const [s = '0', f = ''] = ts.split('.');
  return Number(s) * 1e6 + Number(f.padEnd(6, '0').slice(0, 6));
};
const fromMicros = (u: number): string => `${Math.floor(u / 1e6)}.${String(u % 1e6).padStart(6, '0')}`;
const truthy = (v: unknown) => v === true || v === 'true' || v === '1' || v === 1;
const clone = <T>(v: T): T => structuredClone(v);
const MAX_STREAM_MARKDOWN = 12_000;
const MAX_TEXT = 40_000;

function page<T>(items: T[], a: Args, def: number): { items: T[]; has_more: boolean; next_cursor: string } {
  const limit = Math.max(1, Math.min(Number(a.limit) || def, 1000));
  const start = a.cursor ? Number(Buffer.from(String(a.cursor), 'base64').toString().replace(/^next:/, '')) || 0 : 0;
  const more = start + limit < items.length;
  return { items: items.slice(start, start + limit), has_more: more, next_cursor: more ? Buffer.from(`next:${start + limit}`).toString('base64') : '' };
}

function tzInfo(tz: string): { tz_label: string; tz_offset: number } {
  try {
    const part = (style: 'long' | 'longOffset') => new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: style })
      .formatToParts(new Date()).find((p) => p.type === 'timeZoneName')?.value ?? '';
    const m = /GMT([+-])(\d\d):(\d\d)/.exec(part('longOffset'));
    const offset = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : 0;
    return { tz_label: part('long'), tz_offset: offset };
  } catch { return { tz_label: tz, tz_offset: 0 }; }
}

/** Markdown pieces of a streaming call (`markdown_text` and `chunks` of type markdown_text), each ≤ 12,000 chars. */
function streamText(a: Args): { text: string; chunks: any[] } {
  const chunks: any[] = a.chunks === undefined ? [] : a.chunks;
  if (!Array.isArray(chunks)) fail('invalid_chunks', 'chunks must be an array');
  const pieces = [...(a.markdown_text !== undefined ? [String(a.markdown_text)] : []),
    ...chunks.filter((c) => c?.type === 'markdown_text').map((c) => String(c.text ?? ''))];
  if (pieces.some((p) => p.length > MAX_STREAM_MARKDOWN)) fail('msg_too_long');
  return { text: pieces.join(''), chunks };
}

export class SlackState {
  botUserId: string; teamId: string; readonly botId = 'B0STANDIN'; readonly appId = 'A1';
  streamingSupported = true;
  socketModeUrl: string | undefined;
  baseUrl = 'http://127.0.0.1';
  users = new Map<string, StandinUser>();
  channels = new Map<string, StandinChannel>();
  ephemerals: Array<{ channel: string; user: string; text?: string; blocks?: any[]; thread_ts?: string; message_ts: string }> = [];
  uploads: StandinUpload[] = [];
  views = new Map<string, any>();
  assistantThreads = new Map<string, AssistantThreadState>();
  private msgs = new Map<string, any[]>();
  private lastMicros = 1_700_000_000_000_000;
  private seq = 0;

  constructor(opts: { botUserId?: string; teamId?: string } = {}) {
    this.botUserId = opts.botUserId ?? 'UBOT';
    this.teamId = opts.teamId ?? 'T1';
    this.reset();
  }

  reset(): void {
    for (const m of [this.users, this.channels, this.msgs, this.views, this.assistantThreads]) m.clear();
    this.ephemerals = []; this.uploads = []; this.streamingSupported = true;
    this.lastMicros = 1_700_000_000_000_000; this.seq = 0;
    this.addUser({ id: this.botUserId, name: 'assistant', real_name: 'Assistant', is_bot: true });
  }

  nextTs(): string { this.lastMicros += 100; return fromMicros(this.lastMicros); }
  private id(prefix: string): string { return `${prefix}${String(++this.seq).padStart(8, '0')}`; }

  addUser(u: StandinUser): void { this.users.set(u.id, { ...u }); }
  addChannel(c: StandinChannel): void { this.channels.set(c.id, { ...c, members: [...c.members] }); if (!this.msgs.has(c.id)) this.msgs.set(c.id, []); }

  addMessage(channel: string, m: { user?: string; bot_id?: string; text: string; ts?: string; thread_ts?: string; [k: string]: any }): string {
    if (!this.channels.has(channel)) throw new Error(`slack stand-in: addMessage to unknown channel ${channel}; call addChannel first`);
    const ts = m.ts ?? this.nextTs();
    this.lastMicros = Math.max(this.lastMicros, toMicros(ts));
    this.insert(channel, { type: 'message', team: this.teamId, ...m, ts });
    return ts;
  }

  /** Messages of a channel, oldest first, replies included (they carry thread_ts). Copies. */
  messages(channel: string): any[] { return clone(this.msgs.get(channel) ?? []); }

  assistantThread(channel: string, threadTs: string): AssistantThreadState | undefined { return this.assistantThreads.get(`${channel}:${threadTs}`); }

  /** Ends a stream from Slack's side (as its ~5 minute lifetime or the user's Stop button would). */
  expireStream(channel: string, ts: string, state = 'completed'): void { const m = this.find(channel, ts); if (m) m.streaming_state = state; }

  private insert(channel: string, msg: any): void {
    const list = this.msgs.get(channel)!;
    list.push(msg);
    list.sort((x, y) => toMicros(x.ts) - toMicros(y.ts));
    if (msg.thread_ts && msg.thread_ts !== msg.ts) {
      const parent = list.find((p) => p.ts === msg.thread_ts);
      if (parent) {
        msg.parent_user_id ??= parent.user;
        parent.thread_ts = parent.ts;
        parent.reply_count = (parent.reply_count ?? 0) + 1;
        parent.reply_users = [...new Set([...(parent.reply_users ?? []), msg.user ?? msg.bot_id])];
        parent.reply_users_count = parent.reply_users.length;
        if (!parent.latest_reply || toMicros(msg.ts) > toMicros(parent.latest_reply)) parent.latest_reply = msg.ts;
      }
    }
  }

  private find(channel: string, ts: string): any | undefined { return this.msgs.get(channel)?.find((m) => m.ts === ts); }

  /** A channel the bot can see: known IDs; a user ID opens (or reuses) the DM with that user. */
  channel(id: unknown): StandinChannel {
    if (typeof id !== 'string' || !id) return fail('channel_not_found');
    let c = this.channels.get(id);
    if (!c && /^[UW]/.test(id) && this.users.has(id)) {
      c = this.channels.get(`D${id}`) ?? { id: `D${id}`, name: '', members: [id, this.botUserId], is_im: true };
      this.addChannel(c);
    }
    if (!c || (c.is_private && !c.is_im && !c.members.includes(this.botUserId))) return fail('channel_not_found');
    return c;
  }

  private user(id: unknown): StandinUser { const u = typeof id === 'string' ? this.users.get(id) : undefined; return u ?? fail('user_not_found'); }
  private own(m: any): boolean { return m.user === this.botUserId || m.bot_id === this.botId; }
  private message(channel: string, ts: unknown): any { return (typeof ts === 'string' && this.find(channel, ts)) || fail('message_not_found'); }

  channelInfo(c: StandinChannel): Record<string, unknown> {
    const im = !!c.is_im;
    return {
      id: c.id, name: im ? undefined : c.name, is_channel: !im && !c.is_private, is_group: !im && !!c.is_private, is_im: im,
      is_mpim: false, is_private: im || !!c.is_private, is_archived: false, is_general: false, is_shared: false, is_ext_shared: false,
      is_org_shared: false, is_member: c.members.includes(this.botUserId), created: 1_700_000_000, creator: im ? undefined : c.members[0],
      context_team_id: this.teamId, user: im ? c.members.find((m) => m !== this.botUserId) : undefined,
      num_members: im ? undefined : c.members.length,
      topic: im ? undefined : { value: '', creator: '', last_set: 0 }, purpose: im ? undefined : { value: '', creator: '', last_set: 0 },
    };
  }

  userInfo(u: StandinUser): Record<string, unknown> {
    const tz = u.tz ?? 'America/Los_Angeles';
    const real = u.real_name ?? u.name;
    return {
      id: u.id, team_id: this.teamId, name: u.name, deleted: false, real_name: real, tz, ...tzInfo(tz), is_bot: !!u.is_bot,
      is_app_user: false, is_admin: !!u.is_admin, is_owner: !!u.is_owner, is_restricted: false, is_ultra_restricted: false, updated: 1_700_000_000,
      profile: {
        title: u.title ?? '', real_name: real, real_name_normalized: real, display_name: u.name, display_name_normalized: u.name,
        team: this.teamId, ...(u.id === this.botUserId ? { bot_id: this.botId, api_app_id: this.appId, always_active: true } : {}),
      },
    };
  }

  private botMessage(ts: string, fields: Args): any {
    const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    return { type: 'message', user: this.botUserId, bot_id: this.botId, app_id: this.appId, team: this.teamId, ts, ...defined };
  }

  private thread(channel: string, ts: unknown): any[] {
    if (typeof ts !== 'string' || !ts) return fail('thread_not_found');
    const list = this.msgs.get(channel) ?? [];
    const root = list.find((m) => m.ts === ts)?.thread_ts ?? ts;
    const items = list.filter((m) => m.ts === root || m.thread_ts === root);
    return items.length ? items : fail('thread_not_found');
  }

  private window(items: any[], a: Args): any[] {
    const incl = truthy(a.inclusive);
    const oldest = a.oldest !== undefined ? toMicros(String(a.oldest)) : -Infinity;
    const latest = a.latest !== undefined ? toMicros(String(a.latest)) : Infinity;
    return items.filter((m) => { const t = toMicros(m.ts); return incl ? t >= oldest && t <= latest : t > oldest && t < latest; });
  }

  private view(a: Args, existing?: any): any {
    const v = a.view;
    if (!v || typeof v !== 'object' || !v.type) fail('invalid_arguments', 'missing required field: view');
    const id = existing?.id ?? this.id('V');
    const out = {
      ...v, id, team_id: this.teamId, app_id: this.appId, bot_id: this.botId, hash: `${Date.now()}.${this.id('h')}`,
      state: { values: {} }, previous_view_id: null, root_view_id: existing?.root_view_id ?? id, external_id: v.external_id ?? '',
      private_metadata: v.private_metadata ?? '', callback_id: v.callback_id ?? '', user_id: a.user_id ?? existing?.user_id,
    };
    this.views.set(id, out);
    return out;
  }

  private setThreadState(a: Args, patch: AssistantThreadState): { ok: true } {
    const c = this.channel(a.channel_id);
    if (!a.thread_ts) fail('invalid_arguments', 'missing required field: thread_ts');
    const key = `${c.id}:${a.thread_ts}`;
    this.assistantThreads.set(key, { ...this.assistantThreads.get(key), ...patch });
    return { ok: true };
  }

  readonly methods: Record<string, (a: Args, token: string) => Record<string, unknown>> = {
    'auth.test': () => ({
      ok: true, url: `https://standin-${this.teamId.toLowerCase()}.slack.com/`, team: 'Stand-in Workspace', user: 'assistant',
      team_id: this.teamId, user_id: this.botUserId, bot_id: this.botId, app_id: this.appId, is_enterprise_install: false,
    }),
    'chat.postMessage': (a) => {
      const c = this.channel(a.channel);
      if (!a.text && !(Array.isArray(a.blocks) && a.blocks.length) && !(Array.isArray(a.attachments) && a.attachments.length)) fail('no_text');
      if (a.blocks !== undefined && (!Array.isArray(a.blocks) || a.blocks.length > 50)) fail('invalid_blocks');
      if (String(a.text ?? '').length > MAX_TEXT) fail('msg_too_long');
      const ts = this.nextTs();
      const msg = this.botMessage(ts, {
        text: a.text ?? '', blocks: a.blocks, attachments: a.attachments, metadata: a.metadata, thread_ts: a.thread_ts || undefined,
        subtype: a.thread_ts && truthy(a.reply_broadcast) ? 'thread_broadcast' : undefined,
      });
      this.insert(c.id, msg);
      return { ok: true, channel: c.id, ts, message: clone(msg) };
    },
    'chat.update': (a) => {
      const c = this.channel(a.channel);
      const m = this.message(c.id, a.ts);
      if (!this.own(m)) fail('cant_update_message');
      if (a.text === undefined && a.blocks === undefined && a.attachments === undefined) fail('no_text');
      if (String(a.text ?? '').length > MAX_TEXT) fail('msg_too_long');
      for (const k of ['text', 'blocks', 'attachments', 'metadata'] as const) if (a[k] !== undefined) m[k] = a[k];
      m.edited = { user: this.botUserId, ts: this.nextTs() };
      return { ok: true, channel: c.id, ts: m.ts, text: m.text, message: clone(m) };
    },
    'chat.delete': (a) => {
      const c = this.channel(a.channel);
      const m = this.message(c.id, a.ts);
      if (!this.own(m)) fail('cant_delete_message');
      const list = this.msgs.get(c.id)!;
      list.splice(list.indexOf(m), 1);
      const parent = m.thread_ts && m.thread_ts !== m.ts ? this.find(c.id, m.thread_ts) : undefined;
      if (parent) parent.reply_count = Math.max(0, (parent.reply_count ?? 1) - 1);
      return { ok: true, channel: c.id, ts: m.ts };
    },
    'chat.postEphemeral': (a) => {
      const c = this.channel(a.channel);
      const u = this.user(a.user);
      if (!a.text && !(Array.isArray(a.blocks) && a.blocks.length) && !a.attachments) fail('no_text');
      const message_ts = this.nextTs();
      this.ephemerals.push({ channel: c.id, user: u.id, text: a.text, blocks: a.blocks, thread_ts: a.thread_ts, message_ts });
      return { ok: true, message_ts };
    },
    'chat.getPermalink': (a) => {
      const c = this.channel(a.channel);
      const m = this.message(c.id, a.message_ts);
      const reply = m.thread_ts && m.thread_ts !== m.ts ? `?thread_ts=${m.thread_ts}&cid=${c.id}` : '';
      return { ok: true, channel: c.id, permalink: `https://standin-${this.teamId.toLowerCase()}.slack.com/archives/${c.id}/p${m.ts.replace('.', '')}${reply}` };
    },
    'chat.startStream': (a) => {
      if (!this.streamingSupported) fail('unknown_method');
      const c = this.channel(a.channel);
      if (!a.thread_ts) fail('invalid_arguments', 'missing required field: thread_ts');
      if (!c.is_im && !a.recipient_user_id) fail('missing_recipient_user_id');
      if (!c.is_im && !a.recipient_team_id) fail('missing_recipient_team_id');
      const { text, chunks } = streamText(a);
      const ts = this.nextTs();
      this.insert(c.id, this.botMessage(ts, { text, thread_ts: a.thread_ts, streaming_state: 'in_progress', chunks }));
      return { ok: true, channel: c.id, ts };
    },
    'chat.appendStream': (a) => {
      if (!this.streamingSupported) fail('unknown_method');
      const c = this.channel(a.channel);
      const m = this.message(c.id, a.ts);
      if (m.streaming_state !== 'in_progress') fail('message_not_in_streaming_state');
      if (a.markdown_text === undefined && a.chunks === undefined) fail('invalid_arguments', 'either markdown_text or chunks is required');
      const { text, chunks } = streamText(a);
      m.text += text; m.chunks.push(...chunks);
      return { ok: true, channel: c.id, ts: m.ts };
    },
    'chat.stopStream': (a) => {
      if (!this.streamingSupported) fail('unknown_method');
      const c = this.channel(a.channel);
      const m = this.message(c.id, a.ts);
      if (m.streaming_state !== 'in_progress') fail('message_not_in_streaming_state');
      const { text, chunks } = streamText(a);
      m.text += text; m.chunks.push(...chunks);
      if (a.blocks !== undefined) m.blocks = a.blocks;
      if (a.metadata !== undefined) m.metadata = a.metadata;
      m.streaming_state = 'completed';
      return { ok: true, channel: c.id, ts: m.ts, message: clone(m) };
    },
    'conversations.replies': (a) => {
      const c = this.channel(a.channel);
      const p = page(this.window(this.thread(c.id, a.ts), a), a, 1000);
      return { ok: true, messages: clone(p.items), has_more: p.has_more, response_metadata: { next_cursor: p.next_cursor } };
    },
    'conversations.history': (a) => {
      const c = this.channel(a.channel);
      const top = (this.msgs.get(c.id) ?? []).filter((m) => !m.thread_ts || m.thread_ts === m.ts || m.subtype === 'thread_broadcast');
      const p = page(this.window(top, a).reverse(), a, 100);
      return { ok: true, messages: clone(p.items), has_more: p.has_more, pin_count: 0, response_metadata: { next_cursor: p.next_cursor } };
    },
    'conversations.info': (a) => ({ ok: true, channel: this.channelInfo(this.channel(a.channel)) }),
    'conversations.members': (a) => {
      const p = page(this.channel(a.channel).members, a, 100);
      return { ok: true, members: p.items, response_metadata: { next_cursor: p.next_cursor } };
    },
    'conversations.open': (a) => {
      const ids = String(a.users ?? '').split(',').filter(Boolean);
      if (ids.length !== 1) fail(ids.length ? 'not_supported' : 'users_list_not_supplied');
      return { ok: true, channel: this.channelInfo(this.channel(this.user(ids[0]).id)) };
    },
    'users.info': (a) => ({ ok: true, user: this.userInfo(this.user(a.user)) }),
    'users.list': (a) => {
      const p = page([...this.users.values()], a, 100);
      return { ok: true, members: p.items.map((u) => this.userInfo(u)), cache_ts: Math.floor(Date.now() / 1000), response_metadata: { next_cursor: p.next_cursor } };
    },
    'assistant.threads.setStatus': (a) => {
      if (a.status === undefined) fail('invalid_arguments', 'missing required field: status');
      return this.setThreadState(a, { status: String(a.status), loading_messages: a.loading_messages });
    },
    'assistant.threads.setSuggestedPrompts': (a) => {
      if (!Array.isArray(a.prompts) || a.prompts.length === 0 || a.prompts.length > 4) fail('invalid_arguments', 'prompts must hold 1 to 4 items');
      return this.setThreadState(a, { prompts: a.prompts, prompts_title: a.title });
    },
    'assistant.threads.setTitle': (a) => {
      if (typeof a.title !== 'string') fail('invalid_arguments', 'missing required field: title');
      return this.setThreadState(a, { title: a.title });
    },
    'views.publish': (a) => {
      this.user(a.user_id);
      if (a.view?.type !== 'home') fail('invalid_arguments', 'views.publish only accepts views of type home');
      return { ok: true, view: this.view(a, [...this.views.values()].find((v) => v.type === 'home' && v.user_id === a.user_id)) };
    },
    'views.open': (a) => (a.trigger_id ? { ok: true, view: this.view(a) } : fail('invalid_trigger_id')),
    'views.push': (a) => (a.trigger_id ? { ok: true, view: this.view(a) } : fail('invalid_trigger_id')),
    'views.update': (a) => {
      const old = a.view_id ? this.views.get(a.view_id) : [...this.views.values()].find((v) => a.external_id && v.external_id === a.external_id);
      if (!old) fail('not_found');
      if (a.hash && a.hash !== old.hash) fail('hash_conflict');
      return { ok: true, view: this.view(a, old) };
    },
    'reactions.add': (a) => {
      const m = this.message(this.channel(a.channel).id, a.timestamp);
      if (!a.name) fail('invalid_name');
      m.reactions ??= [];
      const r = m.reactions.find((x: any) => x.name === a.name);
      if (r?.users.includes(this.botUserId)) fail('already_reacted');
      if (r) { r.users.push(this.botUserId); r.count++; } else m.reactions.push({ name: a.name, users: [this.botUserId], count: 1 });
      return { ok: true };
    },
    'reactions.remove': (a) => {
      const m = this.message(this.channel(a.channel).id, a.timestamp);
      const r = m.reactions?.find((x: any) => x.name === a.name && x.users.includes(this.botUserId));
      if (!r) fail('no_reaction');
      r.users = r.users.filter((u: string) => u !== this.botUserId); r.count--;
      m.reactions = m.reactions.filter((x: any) => x.count > 0);
      return { ok: true };
    },
    'files.getUploadURLExternal': (a) => {
      if (!a.filename) fail('invalid_arguments', 'missing required field: filename');
      if (!(Number(a.length) > 0)) fail('invalid_arguments', 'missing required field: length');
      const file_id = this.id('F');
      this.uploads.push({ file_id, filename: String(a.filename), length: Number(a.length), bytes: Buffer.alloc(0), uploaded: false, completed: false });
      return { ok: true, upload_url: `${this.baseUrl}/upload/${file_id}`, file_id };
    },
    'files.completeUploadExternal': (a) => {
      if (!Array.isArray(a.files) || !a.files.length) fail('invalid_arguments', 'missing required field: files');
      const channelId: string | undefined = a.channel_id ?? (a.channels ? String(a.channels) : undefined);
      const c = channelId ? this.channel(channelId) : undefined;
      const done = a.files.map((f: any) => {
        const up = this.uploads.find((u) => u.file_id === f?.id);
        if (!up) return fail('file_not_found');
        if (!up.uploaded) return fail('file_not_found', `file ${up.file_id} was never POSTed to its upload_url`);
        Object.assign(up, { completed: true, title: f.title ?? up.filename, channel_id: c?.id, thread_ts: a.thread_ts, initial_comment: a.initial_comment });
        const ext = up.filename.includes('.') ? up.filename.split('.').pop()! : 'binary';
        return {
          id: up.file_id, created: Math.floor(Date.now() / 1000), name: up.filename, title: up.title, filetype: ext, size: up.bytes.length,
          user: this.botUserId, url_private: `${this.baseUrl}/files/${up.file_id}/${encodeURIComponent(up.filename)}`,
          permalink: `https://standin-${this.teamId.toLowerCase()}.slack.com/files/${this.botUserId}/${up.file_id}`,
        };
      });
      if (c) this.insert(c.id, this.botMessage(this.nextTs(), { text: a.initial_comment ?? '', files: done, upload: true, blocks: a.blocks, thread_ts: a.thread_ts || undefined }));
      return { ok: true, files: done };
    },
    'apps.connections.open': (_a, token) => {
      if (!token.startsWith('xapp-')) fail('not_allowed_token_type');
      if (!this.socketModeUrl) fail('internal_error', 'stand-in: no Socket Mode stand-in is running (startSocketModeStandin)');
      return { ok: true, url: this.socketModeUrl };
    },
  };

  /** Runs a method; answers Slack's JSON (errors as `{ ok: false, error }`). */
  call(method: string, args: Args, token: string | undefined): Record<string, unknown> {
    const impl = this.methods[method];
    if (!impl) return { ok: false, error: 'unknown_method', req_method: method };
    if (!token) return { ok: false, error: 'not_authed' };
    try { return impl(args, token); } catch (e) {
      if (e instanceof SlackApiFailure) return { ok: false, error: e.error, ...e.extra };
      throw e;
    }
  }
}
