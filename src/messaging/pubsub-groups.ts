/**
 * Consumer groups of the pub/sub log (Kafka's group protocol, with the state machine as the group
 * coordinator): members join naming topics, the partitions are assigned round robin, every change
 * of membership (join, leave, session timeout) starts a new generation, and a commit must carry
 * the current generation and name a partition its member owns in it, so a member that was
 * rebalanced away (a "zombie") cannot move the group's offsets. A group without members is a
 * plain durable subscription: anyone may commit its offsets (Kafka's `assign()` consumers).
 *
 * @packageDocumentation
 */
import type { Applied } from '../consensus/index.js';
import { getOwn, setOwn, withOwn, withoutOwn } from '../core/index.js';
import { logEndOffset, partitionOf, refused, type CommittedOffset, type PubSubCommand, type PubSubResult, type PubSubState, type TopicPartition } from './pubsub.js';

/**
 * A member of a group: the topics it subscribes to and when the group last heard from it.
 *
 * @example
 * ```ts
 * import type { GroupMember } from 'distkit/messaging';
 * const m: GroupMember = { topics: ['orders'], lastSeen: 1000 };
 * ```
 */
export interface GroupMember {
  readonly topics: readonly string[];
  readonly lastSeen: number;
}

/**
 * A consumer group: its generation, live members, the assignment of this generation, and the
 * committed offsets (by topic, then partition number), each the next offset to consume.
 *
 * @example
 * ```ts
 * import type { ConsumerGroup } from 'distkit/messaging';
 * const g: ConsumerGroup = { generation: 1, members: { c1: { topics: ['t'], lastSeen: 0 } }, assignment: { c1: [{ topic: 't', partition: 0 }] }, offsets: { t: { '0': 5 } } };
 * ```
 */
export interface ConsumerGroup {
  readonly generation: number;
  readonly members: Readonly<Record<string, GroupMember>>;
  readonly assignment: Readonly<Record<string, readonly TopicPartition[]>>;
  readonly offsets: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

type Cmd<T extends PubSubCommand['type']> = Extract<PubSubCommand, { type: T }>;

const EMPTY_GROUP: ConsumerGroup = { generation: 0, members: {}, assignment: {}, offsets: {} };

/**
 * Kafka's RoundRobinAssignor: the topic-partitions every member may take, sorted, dealt in turn
 * to the members (sorted by id), skipping a member that does not subscribe to the topic.
 *
 * @example
 * ```ts
 * import { assignRoundRobin } from 'distkit/messaging';
 * assignRoundRobin({ a: { topics: ['t'], lastSeen: 0 }, b: { topics: ['t'], lastSeen: 0 } }, { t: 3 });
 * //=> { a: [{ topic: 't', partition: 0 }, { topic: 't', partition: 2 }], b: [{ topic: 't', partition: 1 }] }
 * ```
 */
export function assignRoundRobin(members: Readonly<Record<string, GroupMember>>, partitionCounts: Readonly<Record<string, number>>): Record<string, TopicPartition[]> {
  const ids = Object.keys(members).sort();
  const out: Record<string, TopicPartition[]> = {};
  for (const id of ids) setOwn(out, id, []);
  const topics = [...new Set(ids.flatMap((id) => getOwn(members, id)!.topics))].sort();
  let turn = 0;
  for (const topic of topics) {
    const n = getOwn(partitionCounts, topic) ?? 0;
    for (let partition = 0; partition < n; partition++) {
      for (let tries = 0; tries < ids.length; tries++) {
        const id = ids[turn % ids.length]!;
        turn++;
        if (getOwn(members, id)!.topics.includes(topic)) {
          getOwn(out, id)!.push({ topic, partition });
          break;
        }
      }
    }
  }
  return out;
}

/** A new generation with `members`: reassigns every partition (eager rebalance). */
function rebalance(state: PubSubState, g: ConsumerGroup, members: Readonly<Record<string, GroupMember>>): ConsumerGroup {
  const counts: Record<string, number> = {};
  for (const [topic, t] of Object.entries(state.topics)) setOwn(counts, topic, t.partitions.length);
  return { ...g, generation: g.generation + 1, members, assignment: assignRoundRobin(members, counts) };
}

/**
 * Session timeouts: every member not heard from for `sessionTimeoutMs` leaves its group, which
 * moves to a new generation.
 *
 * @internal
 */
export function expireMembers(state: PubSubState): PubSubState['groups'] {
  let groups = state.groups;
  for (const [name, g] of Object.entries(state.groups)) {
    let members = g.members;
    for (const [id, m] of Object.entries(g.members)) if (m.lastSeen + state.options.sessionTimeoutMs <= state.clock) members = withoutOwn(members, id);
    if (members !== g.members) groups = withOwn(groups, name, rebalance(state, g, members));
  }
  return groups;
}

/** @internal */
export function joinGroup(state: PubSubState, c: Cmd<'join'>): Applied<PubSubState, PubSubResult> {
  const o = state.options;
  const unknown = c.topics.find((t) => getOwn(state.topics, t) === undefined);
  if (unknown !== undefined) return refused(state, 'join', `unknown topic ${JSON.stringify(unknown)}`);
  const existing = getOwn(state.groups, c.group);
  if (existing === undefined && Object.keys(state.groups).length >= o.maxGroups) return refused(state, 'join', `${o.maxGroups} groups exist (maxGroups); delete one`);
  const g = existing ?? EMPTY_GROUP;
  const topics = [...new Set(c.topics)].sort();
  const member = getOwn(g.members, c.member);
  if (member === undefined && Object.keys(g.members).length >= o.maxMembers) return refused(state, 'join', `group ${JSON.stringify(c.group)} has ${o.maxMembers} members (maxMembers)`);
  const members = withOwn(g.members, c.member, { topics, lastSeen: state.clock });
  // A member rejoining with the same subscription keeps the generation: nothing to reassign.
  const same = member !== undefined && member.topics.length === topics.length && member.topics.every((t, i) => t === topics[i]);
  const next = same ? { ...g, members } : rebalance(state, g, members);
  const result: PubSubResult = { type: 'joined', group: c.group, member: c.member, generation: next.generation, assignment: getOwn(next.assignment, c.member) ?? [], at: state.clock };
  return { state: { ...state, groups: withOwn(state.groups, c.group, next) }, result };
}

/** @internal */
export function heartbeat(state: PubSubState, c: Cmd<'heartbeat'>): Applied<PubSubState, PubSubResult> {
  const g = getOwn(state.groups, c.group);
  const member = g === undefined ? undefined : getOwn(g.members, c.member);
  if (g === undefined || member === undefined) return refused(state, 'heartbeat', `unknown member ${JSON.stringify(c.member)} of group ${JSON.stringify(c.group)} (its session expired, or it never joined): join again`);
  const next = { ...g, members: withOwn(g.members, c.member, { ...member, lastSeen: state.clock }) };
  const result: PubSubResult = { type: 'heartbeat', group: c.group, member: c.member, generation: g.generation, assignment: getOwn(g.assignment, c.member) ?? [], rebalanced: c.generation !== g.generation, at: state.clock };
  return { state: { ...state, groups: withOwn(state.groups, c.group, next) }, result };
}

/** @internal */
export function leaveGroup(state: PubSubState, c: Cmd<'leave'>): Applied<PubSubState, PubSubResult> {
  const g = getOwn(state.groups, c.group);
  if (g === undefined || getOwn(g.members, c.member) === undefined) return refused(state, 'leave', `unknown member ${JSON.stringify(c.member)} of group ${JSON.stringify(c.group)}`);
  const next = rebalance(state, g, withoutOwn(g.members, c.member));
  return { state: { ...state, groups: withOwn(state.groups, c.group, next) }, result: { type: 'left', group: c.group, member: c.member, generation: next.generation, at: state.clock } };
}

/** Why a member may not commit to a partition in this generation, or undefined when it may. */
function fenced(g: ConsumerGroup, c: Cmd<'commit'>): string | undefined {
  const live = Object.keys(g.members).length > 0;
  if (c.member === undefined || c.generation === undefined) {
    if (c.member !== undefined || c.generation !== undefined) return 'member and generation go together';
    return live ? `group has live members: a commit must name its member and generation ${g.generation}` : undefined;
  }
  if (getOwn(g.members, c.member) === undefined) return `unknown member ${JSON.stringify(c.member)} (its session expired, or it left): join again`;
  // Kafka's ILLEGAL_GENERATION: a member of an older generation may no longer own the partition.
  if (c.generation !== g.generation) return `stale generation ${c.generation}: the group is at generation ${g.generation} (rebalanced); heartbeat for the new assignment`;
  const owns = (getOwn(g.assignment, c.member) ?? []).some((tp) => tp.topic === c.topic && tp.partition === c.partition);
  return owns ? undefined : `member ${JSON.stringify(c.member)} does not own ${c.topic}/${c.partition} in generation ${g.generation}`;
}

/** @internal */
export function commitOffset(state: PubSubState, c: Cmd<'commit'>): Applied<PubSubState, PubSubResult> {
  const log = partitionOf(state, c.topic, c.partition);
  if (typeof log === 'string') return refused(state, 'commit', log);
  const existing = getOwn(state.groups, c.group);
  if (existing === undefined && Object.keys(state.groups).length >= state.options.maxGroups) return refused(state, 'commit', `${state.options.maxGroups} groups exist (maxGroups); delete one`);
  const g = existing ?? EMPTY_GROUP;
  const why = fenced(g, c);
  if (why !== undefined) return refused(state, 'commit', why);
  if (c.offset > logEndOffset(log)) return refused(state, 'commit', `offset ${c.offset} is past the log end ${logEndOffset(log)} of ${c.topic}/${c.partition}`);
  const byPartition = getOwn(g.offsets, c.topic) ?? {};
  const current = getOwn(byPartition, String(c.partition));
  if (current !== undefined && c.offset < current) return refused(state, 'commit', `offset ${c.offset} is behind the committed ${current}: committed offsets only move forward (fetch from an older offset to replay)`);
  let members = g.members;
  if (c.member !== undefined) members = withOwn(members, c.member, { ...getOwn(members, c.member)!, lastSeen: state.clock });
  const next: ConsumerGroup = { ...g, members, offsets: withOwn(g.offsets, c.topic, withOwn(byPartition, String(c.partition), c.offset)) };
  return { state: { ...state, groups: withOwn(state.groups, c.group, next) }, result: { type: 'committed', group: c.group, topic: c.topic, partition: c.partition, offset: c.offset, at: state.clock } };
}

/**
 * A group's committed offsets, sorted by topic and partition (none for an unknown group).
 *
 * @internal
 */
export function groupOffsets(state: PubSubState, group: string): CommittedOffset[] {
  const g = getOwn(state.groups, group);
  if (g === undefined) return [];
  const out: CommittedOffset[] = [];
  for (const topic of Object.keys(g.offsets).sort()) {
    const byPartition = getOwn(g.offsets, topic)!;
    for (const p of Object.keys(byPartition).sort((a, b) => Number(a) - Number(b))) out.push({ topic, partition: Number(p), offset: getOwn(byPartition, p)! });
  }
  return out;
}

/** @internal */
export function deleteGroup(state: PubSubState, c: Cmd<'deleteGroup'>): Applied<PubSubState, PubSubResult> {
  const g = getOwn(state.groups, c.group);
  if (g === undefined) return refused(state, 'deleteGroup', `unknown group ${JSON.stringify(c.group)}`);
  if (Object.keys(g.members).length > 0) return refused(state, 'deleteGroup', `group ${JSON.stringify(c.group)} has live members`);
  return { state: { ...state, groups: withoutOwn(state.groups, c.group) }, result: { type: 'groupDeleted', group: c.group, at: state.clock } };
}
