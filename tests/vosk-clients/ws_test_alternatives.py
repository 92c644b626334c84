#!/usr/bin/env python3
# Behaves as vosk-server websocket/test_alternatives.py: n-best results, 0.2 s chunks in lockstep.
import asyncio
import os
import sys
import wave

import websockets


async def run_test(uri):
    async with websockets.connect(uri) as websocket:
        wf = wave.open(sys.argv[1], "rb")
        await websocket.send('{"config" : { "max_alternatives" : 20, "sample_rate" : %d } }' % (wf.getframerate()))
        buffer_size = int(wf.getframerate() * 0.2)  # 0.2 seconds of audio
        while True:
            data = wf.readframes(buffer_size)
            if len(data) == 0:
                break
            await websocket.send(data)
            print(await websocket.recv())
        await websocket.send('{"eof" : 1}')
        print(await websocket.recv())


asyncio.run(run_test(os.environ.get("VOSK_URL", "ws://localhost:2700")))
