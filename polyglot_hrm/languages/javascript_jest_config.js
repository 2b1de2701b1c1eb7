'use strict';
/*
 * polyglot-hrm's Jest configuration, passed with --config (copied into the runner cache): the exercise's own
 * configuration -- the one Jest would find in the working directory (jest.config.{js,cjs,mjs,json}, else
 * package.json's "jest", else Jest's defaults), which are the benchmark's files, never the candidate's -- with the
 * settings every run needs on top:
 *   - rootDir: the working directory (the run's workspace);
 *   - haste.forceNodeFilesystemAPI: jest-haste-map crawls with fs, never by spawning `find` (the test step may
 *     start no program);
 *   - watchman off (the per-test timeout and the cache folder come as command-line flags);
 *   - `projects: ['<rootDir>']` (the Exercism track's) flattened: a project would load its own configuration
 *     file again, without these settings.
 */

const fs = require('fs');
const path = require('path');

const CONFIG_FILES = ['jest.config.js', 'jest.config.mjs', 'jest.config.cjs', 'jest.config.json'];

async function exerciseConfig(root) {
  for (const name of CONFIG_FILES) {
    const file = path.join(root, name);
    if (!fs.existsSync(file)) continue;
    const loaded = name.endsWith('.mjs') ? (await import(file)).default : require(file);
    return typeof loaded === 'function' ? await loaded() : loaded;
  }
  const manifest = path.join(root, 'package.json');
  if (fs.existsSync(manifest)) {
    const data = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    if (data && typeof data.jest === 'object' && data.jest !== null) return data.jest;
  }
  return {};
}

function flattenProjects(config, root) {
  if (!Array.isArray(config.projects)) return config;
  const own = config.projects.every((p) => typeof p === 'string' && (p === '<rootDir>' || path.resolve(root, p) === root));
  if (!own) throw new Error('polyglot-hrm runs one Jest project; this configuration names others');
  const { projects, ...rest } = config;
  return rest;
}

module.exports = async () => {
  const root = process.cwd();
  const base = flattenProjects({ ...(await exerciseConfig(root)) }, root);
  return {
    ...base,
    rootDir: root,
    watchman: false,
    haste: { ...(base.haste || {}), forceNodeFilesystemAPI: true, enableSymlinks: false },
  };
};
