/**
 * The well-formedness of one pub/sub state, used as an invariant and to refuse a snapshot that
 * does not hold together.
 *
 * @packageDocumentation
 */
import { getOwn, hasOwn } from '../core/index.js';
import { PUBSUB_PRODUCER_WINDOW, logEndOffset, type PartitionLog, type PubSubState } from './pubsub.js';
import type { ConsumerGroup } from './pubsub-groups.js';

/** A partition's log is dense and within its retention; its records' times never go back. */
function partitionProblem(where: string, p: PartitionLog, retentionCount: number): string | undefined {
  if (p.records.length > retentionCount) return `${where} holds ${p.records.length} records, retentionCount is ${retentionCount}`;
  for (let i = 0; i < p.records.length; i++) {
    const r = p.records[i]!;
    if (r.offset !== p.startOffset + i) return `${where}: record ${i} has offset ${r.offset}, expected ${p.startOffset + i}`;
    if (i > 0 && r.timestamp < p.records[i - 1]!.timestamp) return `${where}: offset ${r.offset} is older than the record before it`;
  }
  return undefined;
}

/** One group: each partition owned by at most one live member of this generation; offsets within the logs. */
function groupProblem(s: PubSubState, name: string, g: ConsumerGroup): string | undefined {
  const owner = new Map<string, string>();
  for (const [member, parts] of Object.entries(g.assignment)) {
    if (!hasOwn(g.members, member)) return `group ${JSON.stringify(name)}: ${member} is assigned partitions but is not a live member`;
    for (const tp of parts) {
      const key = `${tp.topic}/${tp.partition}`;
      const other = owner.get(key);
      if (other !== undefined) return `group ${JSON.stringify(name)} generation ${g.generation}: ${key} is owned by both ${other} and ${member}`;
      owner.set(key, member);
      if (getOwn(s.topics, tp.topic)?.partitions[tp.partition] === undefined) return `group ${JSON.stringify(name)}: ${key} does not exist`;
    }
  }
  for (const [topic, byPartition] of Object.entries(g.offsets)) {
    for (const [p, offset] of Object.entries(byPartition)) {
      const log = getOwn(s.topics, topic)?.partitions[Number(p)];
      if (log === undefined) return `group ${JSON.stringify(name)} commits ${topic}/${p}, which does not exist`;
      if (offset > logEndOffset(log)) return `group ${JSON.stringify(name)} committed ${offset} past the log end ${logEndOffset(log)} of ${topic}/${p}`;
    }
  }
  return Object.keys(g.members).length > s.options.maxMembers ? `group ${JSON.stringify(name)} has ${Object.keys(g.members).length} members, maxMembers is ${s.options.maxMembers}` : undefined;
}

/**
 * What must hold in one pub/sub state: every partition's offsets dense and within retention,
 * tables within their limits, each partition of a group owned by at most one live member of the
 * current generation, committed offsets and subscriber cursors within the logs, producers'
 * remembered sequences consecutive and ending at their last.
 *
 * @example
 * ```ts
 * import { pubSub, pubSubStateProblem } from 'distkit/messaging';
 * pubSubStateProblem(pubSub.init({})); //=> undefined
 * ```
 */
export function pubSubStateProblem(s: PubSubState): string | undefined {
  const o = s.options;
  if (Object.keys(s.topics).length > o.maxTopics) return `${Object.keys(s.topics).length} topics, maxTopics is ${o.maxTopics}`;
  if (Object.keys(s.groups).length > o.maxGroups) return `${Object.keys(s.groups).length} groups, maxGroups is ${o.maxGroups}`;
  if (Object.keys(s.producers).length > o.maxProducers) return `${Object.keys(s.producers).length} producers, maxProducers is ${o.maxProducers}`;
  if (Object.keys(s.subscribers).length > o.maxSubscribers) return `${Object.keys(s.subscribers).length} subscribers, maxSubscribers is ${o.maxSubscribers}`;
  for (const [name, t] of Object.entries(s.topics)) {
    if (t.partitions.length > o.maxPartitions) return `topic ${JSON.stringify(name)} has ${t.partitions.length} partitions, maxPartitions is ${o.maxPartitions}`;
    for (let i = 0; i < t.partitions.length; i++) {
      const p = partitionProblem(`${name}/${i}`, t.partitions[i]!, t.retentionCount);
      if (p !== undefined) return p;
    }
  }
  for (const [name, g] of Object.entries(s.groups)) {
    const p = groupProblem(s, name, g);
    if (p !== undefined) return p;
  }
  for (const [id, p] of Object.entries(s.producers)) {
    if (p.recent.length > PUBSUB_PRODUCER_WINDOW || p.recent.length === 0) return `producer ${JSON.stringify(id)} remembers ${p.recent.length} sequences`;
    for (let i = 0; i < p.recent.length; i++) if (p.recent[i]!.sequence !== p.lastSequence - (p.recent.length - 1 - i)) return `producer ${JSON.stringify(id)}: remembered sequences are not consecutive up to ${p.lastSequence}`;
  }
  for (const [id, sub] of Object.entries(s.subscribers)) {
    const t = getOwn(s.topics, sub.topic);
    if (t === undefined || t.partitions.length !== sub.positions.length) return `subscriber ${JSON.stringify(id)} follows a topic it has no cursors for`;
    if (sub.positions.some((x, i) => x > logEndOffset(t.partitions[i]!))) return `subscriber ${JSON.stringify(id)} has a cursor past a log end`;
  }
  return undefined;
}
