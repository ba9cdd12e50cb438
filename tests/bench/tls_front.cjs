// tls_front.cjs: TLS in front of the harness's fake OpenAI Realtime, so the
// relay benchmark can measure the worker with wss:// as in production.
//   node tls_front.cjs CERT KEY LISTEN_PORT UPSTREAM_PORT
// Prints {"listening":PORT} once ready. Every TLS connection is piped to
// the fake on 127.0.0.1:UPSTREAM_PORT.
"use strict";
const fs = require("fs");
const net = require("net");
const tls = require("tls");

const [cert, key, port, upstream] = process.argv.slice(2);
const server = tls.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) },
  (client) => {
    const up = net.connect(Number(upstream), "127.0.0.1");
    client.setNoDelay(true);
    up.setNoDelay(true);
    client.pipe(up);
    up.pipe(client);
    const end = () => { client.destroy(); up.destroy(); };
    client.on("error", end);
    up.on("error", end);
    client.on("close", end);
    up.on("close", end);
  });
server.listen(Number(port), "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ listening: Number(port) }) + "\n");
});
