import type { IncomingMessage } from 'node:http';

/**
 * In HTTP mode the public port belongs to the ack front (src/slack/ack-front.ts), which relays requests to the
 * main server over loopback: there every socket is 127.0.0.1. The front sets this header to the address it
 * saw, always replacing any value a client sent, and it is believed only on a loopback socket.
 */
export const RELAYED_PEER_HEADER = 'x-improver-relayed-peer';

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (how a dual-stack server sees an IPv4 client). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/** The address of the client behind a request, through the ack front when it relayed it. */
export function clientAddress(req: Pick<IncomingMessage, 'headers' | 'socket'>): string | undefined {
  const relayed = req.headers[RELAYED_PEER_HEADER];
  if (typeof relayed === 'string' && isLoopback(req.socket.remoteAddress)) return relayed || undefined;
  return req.socket.remoteAddress;
}
