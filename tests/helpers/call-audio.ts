// Scripted call audio lives with the tiny model (bench and CLI use it too); tests import it from here.
export * from '../../src/asr/tiny-model/call-script.js';
