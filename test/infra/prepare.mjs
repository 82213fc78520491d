#!/usr/bin/env node
// Prepare the real parts the tests need: build or install whatever is missing (idempotent; a warm
// cache costs well under a second) and print how long each step took.
console.log('prepare: nothing to prepare yet');
