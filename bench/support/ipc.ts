/** Asking a benchmark server process (forked, driven over IPC) one thing and waiting for its answer. */
import type { ChildProcess } from 'node:child_process';

/** Sends `message` to `child` and resolves with its next message. */
export function ask<Reply>(child: ChildProcess, message: string): Promise<Reply> {
  return new Promise((resolve) => {
    child.once('message', (reply: Reply) => resolve(reply));
    child.send(message);
  });
}
