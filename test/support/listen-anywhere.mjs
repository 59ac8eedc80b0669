/**
 * Preloaded (`node --import`) into the programs the README test runs, so that an example written
 * with a fixed port (`server.listen(8080)`) listens on a free one instead and two test runs on one
 * machine never meet: every listen on a TCP port becomes a listen on port 0, and the port the system
 * gave is written to stderr as `[readme-test] listening on HOST:PORT` for the test to read back.
 * Plain JavaScript: it runs in the examples' own plain Node, without a TypeScript loader.
 */
import net from 'node:net';

const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  const [first] = args;
  if (typeof first === 'number' || (typeof first === 'string' && /^[0-9]+$/.test(first))) args[0] = 0;
  else if (typeof first === 'object' && first !== null && first.port !== undefined) args[0] = { ...first, port: 0 };
  this.once('listening', () => {
    const address = this.address();
    if (typeof address === 'object' && address !== null) {
      process.stderr.write(`[readme-test] listening on ${address.address}:${address.port}\n`);
    }
  });
  return listen.apply(this, args);
};
