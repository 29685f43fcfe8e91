// A bare `ws` echo server in a process of its own, for the bridge bench's cross-process floor: the
// same client, the same loopback, the same kind of child process as the bridge (node + tsx), and
// nothing else. Prints `{"port":N}` once listening; ends when its stdin closes (its parent is gone).
import { WebSocketServer } from 'ws';

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
server.on('connection', (s) => s.on('message', (d) => s.send(String(d))));
server.once('listening', () => process.stdout.write(JSON.stringify({ port: (server.address() as { port: number }).port }) + '\n'));
process.stdin.resume();
process.stdin.once('end', () => process.exit(0));
process.stdin.once('close', () => process.exit(0));
