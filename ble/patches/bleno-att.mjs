#!/usr/bin/env node
/**
 * Makes the installed @abandonware/bleno 0.6.2 ATT server conform to the Core spec (Vol 3 Part F)
 * where it does not, by patching lib/hci-socket/gatt.js in node_modules. Run by npm as the root
 * `postinstall` script, so every `npm install` / `npm ci` applies it; see ble/patches/README.md.
 *
 *   node ble/patches/bleno-att.mjs            apply (idempotent: an already patched file is left alone)
 *   node ble/patches/bleno-att.mjs --check    only verify that the installed file is the patched one
 *   node ble/patches/bleno-att.mjs --revert   put the 0.6.2 original back (to see the bugs again)
 *   --file PATH                               work on PATH instead of the installed gatt.js (tests)
 *
 * The file must be byte for byte the 0.6.2 original (or already patched): anything else (another
 * bleno release, someone else's edit) stops the install with exit code 1, so an upgrade can never
 * silently drop the fix. Plain Node (no tsx): it runs before devDependencies may exist.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const PACKAGE = '@abandonware/bleno';
const VERSION = '0.6.2';
const TARGET = join('lib', 'hci-socket', 'gatt.js');
/** sha256 of lib/hci-socket/gatt.js as published in @abandonware/bleno 0.6.2 (npm tarball). */
const ORIGINAL_SHA256 = '2f4c28bb648256c110d0673e21bbb622bbe7e0bcde147488a0d054bcd4842dbb';
/** sha256 of the same file with HUNKS applied. */
const PATCHED_SHA256 = 'b3b4901cf3582e5c246a4402a8cfceb5e9c64336182dc0fe95b8e30c60ed05a3';

const TAG = '[trusted-provisioning patch, ble/patches/bleno-att.mjs]';

/** Each `before` must occur exactly once in the original; it is replaced by `after`. */
const HUNKS = [
  {
    name: 'header',
    before: '/*jshint loopfunc: true */\n',
    after: `/*jshint loopfunc: true */\n// ${TAG}: ATT conformance fixes, see the comments marked "patch".\n`,
  },
  {
    name: 'constants',
    before: 'const ATT_CID = 0x0004;\n',
    after: `const ATT_CID = 0x0004;

// patch: opcode bit 6 marks a command (Core spec Vol 3 Part F 3.3.1): a server never answers one.
const ATT_CMD_FLAG                    = 0x40;
// patch: the longest attribute value there is (Vol 3 Part F 3.2.9).
const ATT_MAX_ATTR_VALUE_LEN          = 512;

// patch: the shortest well-formed PDU of each opcode bleno parses (Vol 3 Part F 3.4). bleno 0.6.2
// read past the end of shorter ones and threw from the HCI socket's data handler: one octet from
// any client stopped the process.
const ATT_MIN_PDU_LENGTH = {
  [ATT_OP_MTU_REQ]: 3,
  [ATT_OP_FIND_INFO_REQ]: 5,
  [ATT_OP_FIND_BY_TYPE_REQ]: 7,
  [ATT_OP_READ_BY_TYPE_REQ]: 7,
  [ATT_OP_READ_REQ]: 3,
  [ATT_OP_READ_BLOB_REQ]: 5,
  [ATT_OP_READ_BY_GROUP_REQ]: 7,
  [ATT_OP_WRITE_REQ]: 3,
  [ATT_OP_WRITE_CMD]: 3,
  [ATT_OP_PREP_WRITE_REQ]: 5,
  [ATT_OP_EXEC_WRITE_REQ]: 2
};

// patch: opcodes whose PDU starts with a handle range (Vol 3 Part F 3.4.3.1, 3.4.3.3, 3.4.4.1, 3.4.4.9).
const ATT_RANGE_OPCODES = [ATT_OP_FIND_INFO_REQ, ATT_OP_FIND_BY_TYPE_REQ, ATT_OP_READ_BY_TYPE_REQ, ATT_OP_READ_BY_GROUP_REQ];

function attPduWellFormed(request) {
  const opcode = request[0];

  if (request.length < (ATT_MIN_PDU_LENGTH[opcode] || 1)) {
    return false;
  }
  // the Attribute Group Type / Attribute Type is a 16-bit or a 128-bit UUID (3.4.4.1, 3.4.4.9)
  if (opcode === ATT_OP_READ_BY_TYPE_REQ || opcode === ATT_OP_READ_BY_GROUP_REQ) {
    return request.length === 7 || request.length === 21;
  }
  return true;
}
`,
  },
  {
    name: 'constructor',
    before: '    this._preparedWriteRequest = null;\n\n    this.setServices([]);\n',
    after:
      '    this._preparedWriteRequest = null;\n    this._preparedWriteOverflow = null; // patch\n\n    this.setServices([]);\n',
  },
  {
    name: 'new connection',
    before: '    this._mtu = 23;\n    this._preparedWriteRequest = null;\n\n    this._aclStream = aclStream;\n',
    after:
      '    this._mtu = 23;\n    this._preparedWriteRequest = null;\n    this._preparedWriteOverflow = null; // patch\n\n    this._aclStream = aclStream;\n',
  },
  {
    name: 'over-MTU PDUs',
    before: '    const requestType = request[0];\n    let response = null;\n\n    switch (requestType) {\n',
    after: `    const requestType = request[0];
    let response = null;
    const isCommand = (requestType & ATT_CMD_FLAG) !== 0; // patch

    // patch: ATT_MTU bounds every PDU (Vol 3 Part F 3.2.8). A longer request is an Invalid PDU
    // (0x04); a longer command is dropped, like any command the server cannot serve (3.4.5.3).
    if (request.length > this._mtu || !attPduWellFormed(request)) {
      // patch: nor a PDU too short for its opcode (Invalid PDU, 3.4.1.1); an empty one has no opcode to answer.
      if (!isCommand && request.length > 0) {
        this.send(this.errorResponse(requestType, 0x0000, ATT_ECODE_INVALID_PDU));
      }
      return;
    }

    // patch: a handle range starting at 0x0000 or ending before its start gets Invalid Handle (3.4.3.1).
    if (ATT_RANGE_OPCODES.indexOf(requestType) !== -1) {
      const rangeStart = request.readUInt16LE(1);

      if (rangeStart === 0x0000 || rangeStart > request.readUInt16LE(3)) {
        this.send(this.errorResponse(requestType, rangeStart, ATT_ECODE_INVALID_HANDLE));
        return;
      }
    }

    switch (requestType) {
`,
  },
  {
    name: 'commands are never answered',
    before: "    if (response) {\n      debug('response: ' + response.toString('hex'));\n",
    after: `    // patch: no Error Response to a Write Command or any other command (Vol 3 Part F 3.4.5.3, 3.3.1):
    // the client would take it for the answer to its next request.
    if (response && !isCommand) {
      debug('response: ' + response.toString('hex'));
`,
  },
  {
    name: 'find by type value with an empty value',
    before: "    const value = request.slice(7).toString('hex').match(/.{1,2}/g).reverse().join('');\n",
    after: `    // patch: the value may be empty (3.4.3.3); match() then gives null, which threw.
    const value = (request.slice(7).toString('hex').match(/.{1,2}/g) || []).reverse().join('');
`,
  },
  {
    name: 'write longer than an attribute value',
    before: '    const offset = 0;\n\n    let handle = this._handles[valueHandle];\n\n    if (handle) {\n',
    after: `    const offset = 0;

    let handle = this._handles[valueHandle];

    // patch: no attribute value is longer than 512 octets (Vol 3 Part F 3.2.9).
    if (handle && data.length > ATT_MAX_ATTR_VALUE_LEN) {
      return this.errorResponse(requestType, valueHandle, ATT_ECODE_INVAL_ATTR_VALUE_LEN);
    }

    if (handle) {
`,
  },
  {
    name: 'bounded prepare queue',
    before:
      '          } else if (this._preparedWriteRequest) {\n            if (this._preparedWriteRequest.handle !== handle) {\n',
    after: `          } else if (this._preparedWriteOverflow !== null || offset + data.length > ATT_MAX_ATTR_VALUE_LEN) {
            // patch: the queue holds one value of at most 512 octets (3.2.9); a part beyond it is
            // refused with Prepare Queue Full (3.4.6.1) before it is stored, the parts already
            // queued are dropped, and the Execute Write that follows fails as a whole (3.4.6.3).
            this._preparedWriteRequest = null;
            if (this._preparedWriteOverflow === null) {
              this._preparedWriteOverflow = valueHandle;
            }
            response = this.errorResponse(requestType, valueHandle, ATT_ECODE_PREP_QUEUE_FULL);
          } else if (this._preparedWriteRequest) {
            if (this._preparedWriteRequest.handle !== handle) {
`,
  },
  {
    name: 'execute after an overflow',
    before: '    const flag = request[1];\n\n    if (this._preparedWriteRequest) {\n',
    after: `    const flag = request[1];

    // patch: a prepared value longer than 512 octets is discarded with the whole queue and the
    // execution answered with Invalid Attribute Value Length (Vol 3 Part F 3.4.6.3); cancelling
    // (flags 0x00) succeeds.
    if (this._preparedWriteOverflow !== null) {
      const overflowHandle = this._preparedWriteOverflow;

      this._preparedWriteOverflow = null;
      this._preparedWriteRequest = null;

      return (flag === 0x00) ? Buffer.from([ATT_OP_EXEC_WRITE_RESP]) :
        this.errorResponse(requestType, overflowHandle, ATT_ECODE_INVAL_ATTR_VALUE_LEN);
    }

    if (this._preparedWriteRequest) {
`,
  },
];

/**
 * Earlier releases of this patch, upgraded in place by the next `npm install`: the sha256 of their
 * result, the patched side of the hunks that differed, and the hunks they did not have.
 */
const SUPERSEDED = [
  {
    sha256: '1bc5dd3fe74e7f49de4bef14f3905ac2b32d708daf27794c873c3b4c724c6bd8',
    after: {
      constants: `const ATT_CID = 0x0004;

// patch: opcode bit 6 marks a command (Core spec Vol 3 Part F 3.3.1): a server never answers one.
const ATT_CMD_FLAG                    = 0x40;
// patch: the longest attribute value there is (Vol 3 Part F 3.2.9).
const ATT_MAX_ATTR_VALUE_LEN          = 512;
`,
      'over-MTU PDUs': `    const requestType = request[0];
    let response = null;
    const isCommand = (requestType & ATT_CMD_FLAG) !== 0; // patch

    // patch: ATT_MTU bounds every PDU (Vol 3 Part F 3.2.8). A longer request is an Invalid PDU
    // (0x04); a longer command is dropped, like any command the server cannot serve (3.4.5.3).
    if (request.length > this._mtu) {
      if (!isCommand) {
        this.send(this.errorResponse(requestType, 0x0000, ATT_ECODE_INVALID_PDU));
      }
      return;
    }

    switch (requestType) {
`,
    },
    without: ['find by type value with an empty value'],
  },
];

function hunksOf(release) {
  return HUNKS.filter((h) => !release.without.includes(h.name)).map((h) => ({
    ...h,
    after: Object.hasOwn(release.after, h.name) ? release.after[h.name] : h.after,
  }));
}

const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

function occurrences(text, part) {
  let n = 0;
  for (let i = text.indexOf(part); i !== -1; i = text.indexOf(part, i + part.length)) n++;
  return n;
}

/** The patched text of the original gatt.js; throws if a hunk does not fit exactly once. */
export function patchSource(original) {
  let text = original;
  for (const hunk of HUNKS) {
    const n = occurrences(text, hunk.before);
    if (n !== 1) throw new Error(`hunk "${hunk.name}" matches ${n} times (expected once)`);
    text = text.replace(hunk.before, () => hunk.after);
  }
  return text;
}

/** The original text back from the patched one (hunks undone in reverse order). */
export function unpatchSource(patched, hunks = HUNKS) {
  let text = patched;
  for (const hunk of [...hunks].reverse()) {
    const n = occurrences(text, hunk.after);
    if (n !== 1) throw new Error(`hunk "${hunk.name}" (patched side) matches ${n} times (expected once)`);
    text = text.replace(hunk.after, () => hunk.before);
  }
  return text;
}

class PatchError extends Error {}

function installedTarget() {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const requireFromRoot = createRequire(join(root, 'package.json'));
  let pkgJson;
  try {
    pkgJson = requireFromRoot.resolve(`${PACKAGE}/package.json`);
  } catch (cause) {
    throw new PatchError(`${PACKAGE} is not installed (${cause.code ?? cause.message}); run npm install`);
  }
  const version = JSON.parse(readFileSync(pkgJson, 'utf8')).version;
  return { file: join(dirname(pkgJson), TARGET), version };
}

/** Writes next to the target, then renames: a crash never leaves half a file; the mode is kept. */
function writeAtomically(file, text) {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: statSync(file).mode & 0o777 });
  renameSync(temp, file);
}

function unexpected(file, digest, version) {
  return new PatchError(
    [
      `${file} is not the ${PACKAGE} ${VERSION} file this patch was written for (sha256 ${digest}; installed version ${version ?? 'unknown'}).`,
      `Refusing to patch it. Check whether this ${PACKAGE} release fixes the ATT issues listed in ble/patches/README.md;`,
      'then update or remove ble/patches/bleno-att.mjs (hunks and both sha256 values) and run npm install again.',
    ].join('\n'),
  );
}

/** Applies (or with `check`, only verifies; with `revert`, undoes) the patch; returns a one-line report. */
export function run({ check = false, revert = false, file } = {}) {
  const target = file ? { file, version: undefined } : installedTarget();
  let text;
  try {
    text = readFileSync(target.file, 'utf8');
  } catch (cause) {
    throw new PatchError(`cannot read ${target.file}: ${cause.code ?? cause.message}`);
  }
  const digest = sha256(text);
  if (digest === PATCHED_SHA256 && !revert) return `${PACKAGE} ATT patch: in place (${target.file})`;
  if (check) {
    throw new PatchError(
      digest === ORIGINAL_SHA256 || SUPERSEDED.some((r) => r.sha256 === digest)
        ? `${target.file} is ${digest === ORIGINAL_SHA256 ? 'the unpatched original' : 'patched by an earlier release of this patch'}: run npm install (or node ble/patches/bleno-att.mjs)`
        : unexpected(target.file, digest, target.version).message,
    );
  }
  if (revert && digest === ORIGINAL_SHA256) return `${PACKAGE} ATT patch: not applied (${target.file})`;
  const original = originalOf(target, text, digest);
  const result = revert ? original : patchSource(original);
  if (sha256(result) !== (revert ? ORIGINAL_SHA256 : PATCHED_SHA256)) {
    throw new PatchError(
      `internal: ${revert ? 'reverted' : 'patched'} ${target.file} does not hash to the recorded value`,
    );
  }
  writeAtomically(target.file, result);
  const verb = revert ? 'reverted' : digest === ORIGINAL_SHA256 ? 'applied' : 'upgraded';
  return `${PACKAGE} ATT patch: ${verb} (${target.file})`;
}

/** The 0.6.2 original behind `text`: itself, or this patch (current or superseded) undone. */
function originalOf(target, text, digest) {
  if (digest === ORIGINAL_SHA256) return text;
  if (digest === PATCHED_SHA256) return unpatchSource(text);
  const release = SUPERSEDED.find((r) => r.sha256 === digest);
  if (!release) throw unexpected(target.file, digest, target.version);
  return unpatchSource(text, hunksOf(release));
}

function parseArgs(argv) {
  const options = { check: false, revert: false, file: undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--check') options.check = true;
    else if (argv[i] === '--revert') options.revert = true;
    else if (argv[i] === '--file' && argv[i + 1]) options.file = argv[++i];
    else throw new PatchError(`unknown argument ${argv[i]}; usage: bleno-att.mjs [--check | --revert] [--file PATH]`);
  }
  return options;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.stdout.write(`${run(parseArgs(process.argv.slice(2)))}\n`);
  } catch (err) {
    process.stderr.write(`bleno ATT patch FAILED: ${err instanceof PatchError ? err.message : err.stack}\n`);
    process.exitCode = 1;
  }
}
