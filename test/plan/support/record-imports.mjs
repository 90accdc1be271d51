// --import this (after tsx) to append every resolved module URL to $RECORD_IMPORTS_TO.
import { register } from 'node:module';

register('./record-imports-hooks.mjs', import.meta.url);
