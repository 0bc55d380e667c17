/**
 * What a path is, from its name alone: its kind (code, test, docs, build, lockfile, generated,
 * vendored, data, other) and, for code and tests, its language family for decision points.
 */

export type FileKind = 'code' | 'test' | 'docs' | 'build' | 'ci' | 'lockfile' | 'generated' | 'vendored' | 'data' | 'other';

/** Language families that share comment, string and decision-point syntax. */
export type LanguageFamily = 'c' | 'go' | 'rust' | 'js' | 'python' | 'ruby' | 'shell' | 'php' | null;

export interface PathClass {
  kind: FileKind;
  family: LanguageFamily;
  /** For a lockfile: the manifest file name it follows (`package.json`, `Cargo.toml` …). */
  manifest?: string;
}

const FAMILY_BY_EXT: Record<string, LanguageFamily> = {
  c: 'c', h: 'c', cc: 'c', cpp: 'c', cxx: 'c', hpp: 'c', hh: 'c', m: 'c', mm: 'c',
  java: 'c', kt: 'c', kts: 'c', scala: 'c', groovy: 'c', cs: 'c', swift: 'c', dart: 'c',
  go: 'go',
  rs: 'rust',
  js: 'js', mjs: 'js', cjs: 'js', jsx: 'js', ts: 'js', tsx: 'js', mts: 'js', cts: 'js', svelte: 'js', vue: 'js',
  py: 'python', pyx: 'python', pyi: 'python',
  rb: 'ruby', rake: 'ruby',
  sh: 'shell', bash: 'shell', zsh: 'shell',
  php: 'php',
  lua: 'c', pl: 'c', pm: 'c', r: 'python', jl: 'python', ex: 'ruby', exs: 'ruby', erl: 'c', hs: 'python', ml: 'c', zig: 'c', nim: 'python', clj: 'c',
};

const LOCKFILES: Record<string, string> = {
  'package-lock.json': 'package.json',
  'npm-shrinkwrap.json': 'package.json',
  'yarn.lock': 'package.json',
  'pnpm-lock.yaml': 'package.json',
  'bun.lockb': 'package.json',
  'bun.lock': 'package.json',
  'Cargo.lock': 'Cargo.toml',
  'go.sum': 'go.mod',
  'poetry.lock': 'pyproject.toml',
  'uv.lock': 'pyproject.toml',
  'pdm.lock': 'pyproject.toml',
  'Pipfile.lock': 'Pipfile',
  'composer.lock': 'composer.json',
  'Gemfile.lock': 'Gemfile',
  'mix.lock': 'mix.exs',
  'Podfile.lock': 'Podfile',
  'pubspec.lock': 'pubspec.yaml',
  'gradle.lockfile': 'build.gradle',
};

const BUILD_NAMES = new Set([
  'package.json', 'Cargo.toml', 'go.mod', 'pom.xml', 'build.gradle', 'build.gradle.kts', 'settings.gradle', 'settings.gradle.kts',
  'setup.py', 'setup.cfg', 'pyproject.toml', 'Pipfile', 'requirements.txt', 'composer.json', 'Gemfile', 'Makefile', 'makefile', 'GNUmakefile',
  'CMakeLists.txt', 'meson.build', 'BUILD', 'BUILD.bazel', 'WORKSPACE', 'Dockerfile', 'tsconfig.json', 'build.rs', 'mix.exs', 'Podfile',
  'pubspec.yaml', 'tox.ini', 'noxfile.py', 'webpack.config.js', 'rollup.config.js', 'vite.config.ts', 'vite.config.js', 'babel.config.js',
  '.babelrc', 'configure.ac', 'Rakefile', 'gradle.properties', 'requirements-dev.txt',
]);

const DOC_NAMES = /^(readme|changelog|changes|history|news|contributing|authors|license|licence|copying|notice|security|code_of_conduct|upgrading|migration|faq)(\.[a-z0-9]+)?$/i;
const DOC_EXT = /\.(md|mdx|markdown|rst|adoc|asciidoc|txt|texi|texinfo|pod|[1-9])$/i;
const DOC_DIR = /(^|\/)(docs?|documentation|man|manual|guide|guides|website|site)\//i;

const TEST_DIR = /(^|\/)(tests?|__tests__|__mocks__|specs?|testing|testdata|test-?fixtures?|fixtures|e2e|integration-tests?|benches|benchmarks?)\//i;
const TEST_FILE = /(^|\/)(test_[^/]*\.py|[^/]*_test\.(py|go|rb|exs|cc|cpp|c|rs|dart)|[^/]*\.(test|spec|e2e)\.[a-z]+|[^/]*_spec\.rb|[^/]*Tests?\.(java|kt|scala|cs|swift|groovy|m)|Test[A-Z][^/]*\.(java|kt|scala|cs)|conftest\.py|[^/]*_tests?\.rs)$/;

const VENDORED = /(^|\/)(vendor|vendors|third[_-]?party|thirdparty|node_modules|bower_components|external|extern|deps|Godeps|\.yarn|jspm_packages)\//i;
const GENERATED = /(^|\/)(dist|build|out|target|coverage|__snapshots__|\.next|gen|generated)\/|\.(min|bundle|pack)\.(js|css|mjs)$|(\.pb\.(go|cc|h)|_pb2(_grpc)?\.py|\.pb\.gw\.go|_generated\.[a-z]+|\.generated\.[a-z]+|\.g\.dart|\.designer\.cs|\.snap|\.map)$|(^|\/)zz_generated[^/]*$/i;
const CI = /(^|\/)(\.github\/workflows\/|\.gitlab-ci\.yml$|\.travis\.yml$|appveyor\.yml$|azure-pipelines\.yml$|\.circleci\/|Jenkinsfile$|\.cirrus\.yml$|\.buildkite\/)/;
const DATA_EXT = /\.(json|ya?ml|toml|xml|csv|tsv|ini|cfg|conf|properties|lock|sql|proto|graphql|svg|html?|css|scss|less|sass|styl)$/i;

/** The file name of a path (after the last `/`). */
export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? path : path.slice(i + 1);
}

/** The directory of a path ('' for the root). */
export function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '' : path.slice(0, i);
}

/** Classifies a path by its name alone. */
export function classifyPath(path: string): PathClass {
  const name = baseName(path);
  const manifest = LOCKFILES[name];
  if (manifest) return { kind: 'lockfile', family: null, manifest };
  if (VENDORED.test(path)) return { kind: 'vendored', family: null };
  if (GENERATED.test(path)) return { kind: 'generated', family: null };
  if (CI.test(path)) return { kind: 'ci', family: null };
  if (BUILD_NAMES.has(name)) return { kind: 'build', family: name.endsWith('.py') ? 'python' : name === 'build.rs' ? 'rust' : null };
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  const family = FAMILY_BY_EXT[ext] ?? null;
  if (family) {
    if (TEST_FILE.test(path) || TEST_DIR.test(path)) return { kind: 'test', family };
    // Code under docs/ (a Sphinx conf.py, snippets) belongs to the documentation.
    if (/(^|\/)docs?\//i.test(path)) return { kind: 'docs', family };
    return { kind: 'code', family };
  }
  if (DOC_NAMES.test(name) || DOC_EXT.test(name) || (DOC_DIR.test(path) && !DATA_EXT.test(name))) return { kind: 'docs', family: null };
  if (TEST_DIR.test(path)) return { kind: 'test', family: null };
  if (DATA_EXT.test(name)) return { kind: 'data', family: null };
  return { kind: 'other', family: null };
}
