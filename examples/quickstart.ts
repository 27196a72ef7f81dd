// The README's quick start: three Raft nodes on the in-memory transport, each persisting to its own
// store before it sends, elect a leader, which proposes a command that every node then applies.
// Run: node --import tsx examples/quickstart.ts
import { createMemoryNetwork, createNode, MemoryStore } from 'distkit';
import { raft, applyRaftPersist, type RaftOutput } from 'distkit/consensus';

const ids = ['a', 'b', 'c'];
const net = createMemoryNetwork(); // or createTcpTransport() from distkit/node
const applied: string[] = [];
const nodes = ids.map((id) => {
  const transport = net.transport(id);
  const store = new MemoryStore(); // or new FileStore({ dir }) from distkit/node
  const config = { id, voters: ids, seed: id, electionTimeoutMs: 150 };
  let disk = raft.durable(raft.init(config));
  const node = createNode(raft, config, {
    send: (to, message) => transport.send(to, message),
    persist: (record) => store.put('raft', (disk = applyRaftPersist(disk, record))),
    onOutput: (o: RaftOutput) => {
      if (o.type === 'role' && o.role === 'leader') void node.input({ type: 'propose', data: 'x=1' });
      if (o.type === 'apply') for (const e of o.entries) if (!e.kind) applied.push(`${id} applied ${e.data}`);
    },
  });
  node.listen(transport);
  return node;
});

// Wait until every node has applied the command, print what happened, and stop the nodes.
for (let waited = 0; applied.length < ids.length && waited < 5000; waited += 20) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
console.log(applied.join('\n')); // "a applied x=1", "b applied x=1", "c applied x=1", in apply order
for (const node of nodes) node.stop();

