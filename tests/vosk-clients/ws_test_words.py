#!/usr/bin/env python3
# Behaves as vosk-server websocket/test_words.py: a phrase list, words off, 4000-frame chunks in lockstep.
import asyncio
import os
import sys
import wave

import websockets


async def run_test(uri):
    async with websockets.connect(uri) as websocket:
        wf = wave.open(sys.argv[1], "rb")
        await websocket.send('''{"config" :
                    { "phrase_list" : ["zero one two three four five six seven eight nine oh"],
                      "sample_rate" : 16000.0,
                      "words" : 0}}''')
        while True:
            data = wf.readframes(4000)
            if len(data) == 0:
                break
            await websocket.send(data)
            print(await websocket.recv())
        await websocket.send('{"eof" : 1}')
        print(await websocket.recv())


asyncio.run(run_test(os.environ.get("VOSK_URL", "ws://localhost:2700")))
