// relay_token_preload.cjs: lets ../shared/bench/callgen.js (unchanged) place
// calls that cortana-media admits. Loaded with NODE_OPTIONS=--require, it wraps
// the `ws` module's send() so every Twilio "start" event carries a stream
// token for its callSid, signed as /twilio/voice signs it
// (lib/stream_token.c): expiry "." business "." base64url(HMAC-SHA256(key,
// "v1|" callSid "|" business "|" expiry)).
"use strict";
const crypto = require("crypto");
const Module = require("module");

const key = Buffer.from(process.env.CORTANA_BENCH_KEY_HEX || "", "hex");
const business = process.env.CORTANA_BENCH_BUSINESS || "";

function token(callSid) {
  const expiry = String(Math.floor(Date.now() / 1000) + 600);
  const mac = crypto.createHmac("sha256", key).update(`v1|${callSid}|${business}|${expiry}`)
    .digest("base64url");
  return `${expiry}.${business}.${mac}`;
}

const load = Module._load;
Module._load = function (request, parent, isMain) {
  const exported = load.apply(this, arguments);
  if (request === "ws" && typeof exported === "function" && !exported.__cortanaToken) {
    const send = exported.prototype.send;
    exported.prototype.send = function (data, ...rest) {
      if (typeof data === "string" && data.includes('"event":"start"')) {
        const msg = JSON.parse(data);
        msg.start.customParameters = { ...(msg.start.customParameters || {}),
                                       token: token(msg.start.callSid) };
        data = JSON.stringify(msg);
      }
      return send.call(this, data, ...rest);
    };
    exported.__cortanaToken = true;
  }
  return exported;
};
