#!/usr/bin/env node
// The Node.js peer of 'qms validate', for .ci/bench: what a team would
// write with the usual npm packages. It reads every records/**/*.md of a QMS
// repository, parses the frontmatter with gray-matter and checks it with
// ajv (JSON Schema 2020-12, formats asserted) against the same schema
// files qms uses. It does less than qms: no body sections, no x-qms rules
// (references, dates, plans), no line numbers.
//
// usage: node validate.js REPO SCHEMA_DIR
//
// SCHEMA_DIR holds the default <kind>.schema.json files (qms's own schema/
// folder); REPO/schema/ overrides them file by file, as in qms.
// Prints a summary; exits 0 when every record is valid, 1 when not, 2 on
// usage errors.
'use strict';

const fs = require('fs');
const path = require('path');
const matter = require('gray-matter');
const yaml = require('js-yaml');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');

function usage(msg) {
  process.stderr.write(`validate.js: ${msg}\nusage: node validate.js REPO SCHEMA_DIR\n`);
  process.exit(2);
}

const [repo, schemaDir] = process.argv.slice(2);
if (!repo || !schemaDir || process.argv.length > 4) usage('need a repository and a schema directory');

const SUFFIX = '.schema.json';

// kinds: name -> {folder | file, validate}. Repository schemas override the
// defaults of the same name.
function loadKinds() {
  const files = new Map();
  for (const dir of [schemaDir, path.join(repo, 'schema')]) {
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir)) {
      if (f.endsWith(SUFFIX)) files.set(f.slice(0, -SUFFIX.length), path.join(dir, f));
    }
  }
  if (files.size === 0) usage(`no *${SUFFIX} files in ${schemaDir}`);
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const kinds = [];
  for (const [name, file] of files) {
    const schema = JSON.parse(fs.readFileSync(file, 'utf8'));
    kinds.push({
      name,
      folder: schema['x-qms-folder'],
      file: schema['x-qms-file'],
      validate: ajv.compile(schema),
    });
  }
  return kinds;
}

// The YAML 1.2 core schema: dates and times stay strings, as in qms (the
// default schema of js-yaml would turn them into Date objects).
const matterOptions = {
  engines: { yaml: (s) => yaml.load(s, { schema: yaml.CORE_SCHEMA }) },
};

function* walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile() && e.name.endsWith('.md')) yield p;
  }
}

function main() {
  const kinds = loadKinds();
  const byFolder = new Map();
  const byFile = new Map();
  for (const k of kinds) {
    if (k.folder) byFolder.set(k.folder, k);
    if (k.file) byFile.set(k.file, k);
  }
  let records = 0;
  let errors = 0;
  let bad = 0;
  const samples = [];
  const report = (rel, msg) => {
    errors++;
    if (samples.length < 10) samples.push(`${rel}: ${msg}`);
  };
  const root = path.join(repo, 'records');
  for (const p of walk(root)) {
    const rel = path.relative(repo, p).split(path.sep).join('/');
    const kind = byFile.get(rel) || byFolder.get(path.posix.dirname(rel));
    records++;
    if (!kind) {
      bad++;
      report(rel, 'no record kind lives here');
      continue;
    }
    let data;
    try {
      data = matter(fs.readFileSync(p, 'utf8'), matterOptions).data;
    } catch (e) {
      bad++;
      report(rel, `frontmatter: ${e.message.split('\n')[0]}`);
      continue;
    }
    if (!kind.validate(data)) {
      bad++;
      for (const e of kind.validate.errors) report(rel, `${e.instancePath || '/'} ${e.message}`);
    }
  }
  for (const s of samples) process.stdout.write(`${s}\n`);
  process.stderr.write(`validate.js: ${records} records checked, ${bad} invalid, ${errors} errors\n`);
  process.exit(errors > 0 ? 1 : 0);
}

main();
