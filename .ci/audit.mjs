#!/usr/bin/env node
// Dependency audit of the production tree, printed as part of CI's report (issue #14).
//
// 1. `npm audit --omit=dev --json` when the registry answers its audit endpoint.
// 2. Otherwise (the registry this machine reaches answers the bulk-advisory endpoint with 405), an
//    offline check: every production package in package-lock.json against the advisories recorded
//    in .ci/advisories.json. That list only knows what was recorded; it is a floor, not a
//    substitute for the live audit, and the report says which of the two ran.
//
// Policy: a high or critical advisory in a production dependency fails CI (exit 1). Production
// dependencies ship to devices and to the cloud side, and "secure by default" means no release
// with a known high/critical hole; moderate and low are printed only. An advisory accepted on
// purpose goes into .ci/advisories.json's "accepted" list with its reason, and is printed, not failed.
/* global console */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FAILING = new Set(['high', 'critical']);
const recorded = JSON.parse(readFileSync(join(root, '.ci', 'advisories.json'), 'utf8'));
const accepted = new Map((recorded.accepted ?? []).map((a) => [a.id, a.reason]));

/** Compares dotted numeric versions (x.y.z; a pre-release tag sorts before its release). */
function compareVersions(a, b) {
  const [av, ap] = a.split('-');
  const [bv, bp] = b.split('-');
  const an = av.split('.').map(Number);
  const bn = bv.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((an[i] ?? 0) !== (bn[i] ?? 0)) return (an[i] ?? 0) - (bn[i] ?? 0);
  if (ap === bp) return 0;
  return ap === undefined ? 1 : bp === undefined ? -1 : ap < bp ? -1 : 1;
}

/** Production packages from the lockfile: name → versions (dev-only packages left out). */
function productionPackages() {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const out = new Map();
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (path === '' || entry.dev === true || entry.link === true || !entry.version) continue;
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (!out.has(name)) out.set(name, new Set());
    out.get(name).add(entry.version);
  }
  return out;
}

function liveAudit() {
  let text;
  try {
    text = execFileSync('npm', ['audit', '--omit=dev', '--json'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
  } catch (err) {
    // npm audit exits 1 when it finds something: its JSON is still on stdout.
    text = err.stdout ?? '';
  }
  let report;
  try {
    report = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!report?.metadata?.vulnerabilities || report.error) return undefined;
  const findings = [];
  for (const [name, v] of Object.entries(report.vulnerabilities ?? {})) {
    for (const via of v.via ?? []) {
      if (typeof via !== 'object') continue;
      const id = String(via.url ?? via.source).replace(/^.*\//, '');
      findings.push({ name, range: v.range, severity: via.severity, id, title: via.title, url: via.url });
    }
  }
  return findings;
}

function offlineAudit() {
  const installed = productionPackages();
  const findings = [];
  for (const adv of recorded.advisories) {
    for (const version of installed.get(adv.package) ?? []) {
      if (compareVersions(version, adv.fixedIn) < 0) {
        findings.push({
          name: adv.package,
          range: `${version} (< ${adv.fixedIn})`,
          severity: adv.severity,
          id: adv.id,
          title: adv.title,
          url: adv.url,
        });
      }
    }
  }
  return { findings, packages: installed.size };
}

console.log('== dependency audit (production dependencies) ==');
let findings = liveAudit();
if (findings) {
  console.log("source: npm audit --omit=dev (the registry's advisory database)");
} else {
  const offline = offlineAudit();
  findings = offline.findings;
  console.log(
    `source: offline (the registry did not answer npm audit): ${offline.packages} production packages from package-lock.json`,
  );
  console.log(
    `        against ${recorded.advisories.length} advisories recorded in .ci/advisories.json (only those are known offline)`,
  );
}
let failing = 0;
for (const f of findings) {
  const acceptedWhy = accepted.get(f.id);
  const verdict = acceptedWhy ? `accepted: ${acceptedWhy}` : FAILING.has(f.severity) ? 'FAILS CI' : 'reported';
  if (!acceptedWhy && FAILING.has(f.severity)) failing++;
  console.log(`  ${f.severity.padEnd(8)} ${f.name} ${f.range}  ${f.id}  ${f.title ?? ''}  [${verdict}]`);
}
const bySeverity = {};
for (const f of findings) bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
console.log(
  `audit: ${findings.length} finding(s) ${JSON.stringify(bySeverity)}; ${failing} high/critical not accepted`,
);
process.exit(failing > 0 ? 1 : 0);
