import { describe, expect, it } from 'vitest';
import { classifyPath } from './classify-path.js';

describe('classifyPath', () => {
  it('tells code, tests, docs, lockfiles, vendored and generated files apart', () => {
    expect(classifyPath('src/app.ts')).toEqual({ kind: 'code', family: 'js' });
    expect(classifyPath('pkg/server/handler_test.go')).toMatchObject({ kind: 'test', family: 'go' });
    expect(classifyPath('tests/test_api.py')).toMatchObject({ kind: 'test', family: 'python' });
    expect(classifyPath('src/main/java/FooTest.java')).toMatchObject({ kind: 'test', family: 'c' });
    expect(classifyPath('web/src/App.spec.tsx')).toMatchObject({ kind: 'test' });
    expect(classifyPath('README.md').kind).toBe('docs');
    expect(classifyPath('docs/guide/intro.rst').kind).toBe('docs');
    expect(classifyPath('CHANGELOG').kind).toBe('docs');
    expect(classifyPath('package-lock.json')).toMatchObject({ kind: 'lockfile', manifest: 'package.json' });
    expect(classifyPath('Cargo.lock')).toMatchObject({ kind: 'lockfile', manifest: 'Cargo.toml' });
    expect(classifyPath('vendor/github.com/x/y.go').kind).toBe('vendored');
    expect(classifyPath('dist/bundle.min.js').kind).toBe('generated');
    expect(classifyPath('api/v1/service.pb.go').kind).toBe('generated');
    expect(classifyPath('.github/workflows/ci.yml').kind).toBe('ci');
    expect(classifyPath('package.json').kind).toBe('build');
    expect(classifyPath('config/settings.yaml').kind).toBe('data');
  });
});
