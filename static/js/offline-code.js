// Offline wallet codes, checked on the till the way the server checks them
// (payments/services/offline/formats.py has the layout byte by byte):
// "OF1." + base64url of 238 bytes = a 162-byte certificate signed by the
// programme's key, then counter, time made and amount cap, signed by the
// phone's device key. Signatures are ECDSA P-256 / SHA-256, r || s, which is
// what WebCrypto verifies. What only this till can know (the counters it
// has seen, what it has taken from the certificate while offline) the
// caller passes in; the server checks everything again when the sale syncs.
(function () {
  "use strict";
  var PREFIX = "OF1.";
  var CERT_BODY = 98, CERT = 162, SIGNED = 174, SIZE = 238;
  var SKEW = 5 * 60; // seconds of clock difference allowed, as on the server
  var ECDSA = { name: "ECDSA", namedCurve: "P-256" };
  var VERIFY = { name: "ECDSA", hash: "SHA-256" };

  function Refused(reason) { this.reason = reason; }

  function bytesOf(text) {
    if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new Refused("damaged");
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var binary;
    try { binary = atob(b64); } catch (e) { throw new Refused("damaged"); }
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function u32(bytes, at) {
    return bytes[at] * 0x1000000 + ((bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]);
  }

  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  // The code's fields, or Refused("damaged"); no signature checked yet.
  function parse(text) {
    text = (text || "").trim();
    if (text.indexOf(PREFIX) !== 0) throw new Refused("not-offline-code");
    var bytes = bytesOf(text.slice(PREFIX.length));
    if (bytes.length !== SIZE || bytes[0] !== 1) throw new Refused("damaged");
    return {
      text: text,
      kid: hex(bytes.subarray(1, 9)),
      certId: u32(bytes, 9),
      card: String.fromCharCode.apply(null, bytes.subarray(13, 25)),
      deviceKey: bytes.slice(25, 90),
      allowance: u32(bytes, 90),
      expires: u32(bytes, 94),
      counter: u32(bytes, CERT),
      made: u32(bytes, CERT + 4),
      cap: u32(bytes, CERT + 8),
      certBody: bytes.slice(0, CERT_BODY),
      certSignature: bytes.slice(CERT_BODY, CERT),
      signed: bytes.slice(0, SIGNED),
      deviceSignature: bytes.slice(SIGNED, SIZE),
    };
  }

  async function verify(key, signature, data) {
    try { return await crypto.subtle.verify(VERIFY, key, signature, data); } catch (e) { return false; }
  }

  // check(text, {amount, keys: [{kid, jwk}], now: seconds, seen: bool,
  // spentOnTill: minor units, partial: bool}) -> {ok: true, code, left, amount}
  // or {ok: false, reason}. `seen` and `spentOnTill` are about this code's
  // certificate on this till; pass them from parse()'s certId and counter
  // (check calls `lookup` if given). With `partial` the code may pay part of
  // `amount` (the rest by cash or card): `amount` in the answer is what it
  // may pay, at most its cap and what its certificate has left on this till.
  async function check(text, options) {
    try {
      var code = parse(text);
      var entry = (options.keys || []).filter(function (k) { return k.kid === code.kid; })[0];
      if (!options.keys || !options.keys.length) throw new Refused("no-keys");
      if (!entry) throw new Refused("not-ours");
      var programme = await crypto.subtle.importKey("jwk", entry.jwk, ECDSA, false, ["verify"]);
      if (!(await verify(programme, code.certSignature, code.certBody))) throw new Refused("not-ours");
      var device;
      try { device = await crypto.subtle.importKey("raw", code.deviceKey, ECDSA, false, ["verify"]); }
      catch (e) { throw new Refused("not-ours"); }
      if (!(await verify(device, code.deviceSignature, code.signed))) throw new Refused("not-device");
      var now = options.now !== undefined ? options.now : Math.floor(Date.now() / 1000);
      if (now > code.expires + SKEW) throw new Refused("expired");
      if (code.made > now + SKEW) throw new Refused("future");
      var amount = options.partial ? Math.min(options.amount, code.cap, code.allowance) : options.amount;
      if (!(amount > 0) || amount > code.cap || amount > code.allowance) throw new Refused("too-much");
      var local = options.lookup ? await options.lookup(code) : { seen: !!options.seen, spent: options.spentOnTill || 0 };
      if (local.seen) throw new Refused("seen");
      var left = code.allowance - local.spent;
      if (options.partial && left > 0) amount = Math.min(amount, left);
      if (amount > left) return { ok: false, reason: "left", left: Math.max(left, 0), code: code };
      return { ok: true, code: code, left: left, amount: amount };
    } catch (error) {
      if (error instanceof Refused) return { ok: false, reason: error.reason };
      throw error;
    }
  }

  window.CafeOfflineCode = { parse: parse, check: check, PREFIX: PREFIX };
})();
