import { join } from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';

// protos/vosk/stt/v1/stt_service.proto says it is alphacep/vosk-server's grpc/stt_service.proto field
// for field. This is that file's content (commit ec0f0a00cf8c5ea54c0391e1943ac21049f62f15, the newest
// public version; 1f64c18 is the same less fields 11 and 12), transcribed as services, methods,
// fields with numbers, types and labels, reserved ranges and enum values. It has no StatsService:
// issue 13 asked for `vosk.stt.v1.StatsService/GetStats`, which only a third-party fork's client
// calls; the engine's own lives apart, in stats_service.proto, so this copy stays exact.
const VOSK_SERVER = {
  services: { SttService: { StreamingRecognize: 'stream StreamingRecognitionRequest -> stream StreamingRecognitionResponse' } },
  messages: {
    StreamingRecognitionRequest: ['config=1 RecognitionConfig (oneof streaming_request)', 'audio_content=2 bytes (oneof streaming_request)'],
    StreamingRecognitionResponse: ['chunks=1 repeated SpeechRecognitionChunk', 'reserved 2', 'reserved end_of_single_utterance'],
    RecognitionConfig: ['specification=1 RecognitionSpec'],
    RecognitionSpec: [
      'audio_encoding=1 AudioEncoding',
      'sample_rate_hertz=2 int64',
      'language_code=3 string',
      'profanity_filter=4 bool',
      'model=5 string',
      'partial_results=7 bool',
      'single_utterance=8 bool',
      'raw_results=10 bool',
      'max_alternatives=11 int32',
      'enable_word_time_offsets=12 bool',
    ],
    SpeechRecognitionChunk: ['alternatives=1 repeated SpeechRecognitionAlternative', 'final=2 bool', 'end_of_utterance=3 bool'],
    SpeechRecognitionAlternative: ['text=1 string', 'confidence=2 float', 'words=3 repeated WordInfo'],
    WordInfo: ['start_time=1 google.protobuf.Duration', 'end_time=2 google.protobuf.Duration', 'word=3 string', 'confidence=4 float'],
  },
  enums: { 'RecognitionSpec.AudioEncoding': { AUDIO_ENCODING_UNSPECIFIED: 0, LINEAR16_PCM: 1 } },
};

interface FieldDescriptor {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName: string;
  oneofIndex?: number;
}
interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  oneofDecl: Array<{ name: string }>;
  reservedRange: Array<{ start: number; end: number }>;
  reservedName: string[];
  enumType: Array<{ name: string; value: Array<{ name: string; number: number }> }>;
}
interface MethodDefinitionLike {
  requestStream: boolean;
  responseStream: boolean;
  requestType: { type: { name: string } };
  responseType: { type: { name: string } };
}

/** The proto as proto-loader reads it (descriptors, field names as written), in VOSK_SERVER's shape. */
function describeProto(file: string) {
  const definition = loadSync(file, { keepCase: true }) as unknown as Record<string, unknown>;
  const services: Record<string, Record<string, string>> = {};
  const messages: Record<string, string[]> = {};
  const enums: Record<string, Record<string, number>> = {};
  const scalar = (f: FieldDescriptor) => (f.typeName ? f.typeName.replace(/^\./, '') : f.type.replace(/^TYPE_/, '').toLowerCase());
  for (const [fullName, def] of Object.entries(definition)) {
    if (!fullName.startsWith('vosk.stt.v1.')) continue;
    const name = fullName.slice('vosk.stt.v1.'.length);
    const message = (def as { type?: MessageDescriptor }).type;
    if (!message) {
      const methods = def as Record<string, MethodDefinitionLike>;
      services[name] = Object.fromEntries(
        Object.entries(methods).map(([method, m]) => [method, `${m.requestStream ? 'stream ' : ''}${m.requestType.type.name} -> ${m.responseStream ? 'stream ' : ''}${m.responseType.type.name}`]),
      );
      continue;
    }
    const t = message;
    messages[name] = [
      ...t.field.map((f) => `${f.name}=${f.number} ${f.label === 'LABEL_REPEATED' ? 'repeated ' : ''}${scalar(f)}${f.oneofIndex !== undefined && t.oneofDecl[f.oneofIndex] ? ` (oneof ${t.oneofDecl[f.oneofIndex]!.name})` : ''}`),
      ...t.reservedRange.map((r) => `reserved ${r.start === r.end ? r.start : `${r.start}-${r.end}`}`),
      ...t.reservedName.map((r) => `reserved ${r}`),
    ];
    for (const e of t.enumType) enums[`${name}.${e.name}`] = Object.fromEntries(e.value.map((v) => [v.name, v.number]));
  }
  return { services, messages, enums };
}

describe("the vosk-server proto copy (vosk.stt.v1) is alphacep/vosk-server's, field for field", () => {
  it('same services, methods, messages, field numbers and types, reserved ranges and enums; no StatsService', () => {
    const ours = describeProto(join(REPO, 'protos/vosk/stt/v1/stt_service.proto'));
    expect(ours).toEqual(VOSK_SERVER);
    expect(Object.keys(ours.services)).toEqual(['SttService']);
  });
});
