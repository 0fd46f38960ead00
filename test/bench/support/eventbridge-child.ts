// The local EventBridge endpoint (bin/local/eventbridge-local.ts) in a process of its own, for bench:relay: in AWS
// EventBridge runs on machines of its own, so a relay's ratio to the direct baseline should not depend on the
// endpoint taking CPU time from the relay's own thread. Started with fork(); it sends { endpoint } once listening
// and exits when the parent disconnects or sends { close }.
//
// Invariant: the endpoint is the same code, with the same options, as the in-process one the benchmark also
// measures; only its process differs.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startLocalEventBridge } from '../../../bin/local/eventbridge-local.js';

export interface ChildEventBridge {
  endpoint: string;
  close(): Promise<void>;
}

/** Forks this file as the endpoint process (through tsx, as the benchmark itself runs) and waits until it listens. */
export async function startChildEventBridge(): Promise<ChildEventBridge> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--child'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the endpoint process did not start listening within 60 s')), 60_000);
    child.once('message', (m: { endpoint: string }) => {
      clearTimeout(t);
      resolve(m.endpoint);
    });
    child.once('exit', (code) => reject(new Error(`the endpoint process exited (${code})`)));
  });
  return {
    endpoint,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.send({ close: true });
      }),
  };
}

if (process.argv.includes('--child') && process.send) {
  const bus = await startLocalEventBridge({ maxStoredEvents: 1000 });
  const send = process.send.bind(process);
  process.on('message', (m: { close?: boolean }) => {
    if (m.close) void bus.close().then(() => process.exit(0));
  });
  process.on('disconnect', () => void bus.close().then(() => process.exit(0)));
  send({ endpoint: bus.endpoint });
}
