#!/usr/bin/env node
// `probot run`, `probot receive`, `--help` and `--version` as Probot 14 has them, so that an app's
// `"start": "probot run ./index.js"` keeps working when `probot` is this package: the command is
// real probot's, from the copy this package depends on. (On Switchyard: `switchyard run <app>`.)
await import(new URL('../bin/probot.js', import.meta.resolve('probot')).href);
