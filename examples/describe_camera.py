"""Describe a camera: video frames go to the model, which says what it sees; paused video sends nothing.

A synthetic camera draws a red square sliding across a dark blue 640×480 picture, 30 frames a second,
as numpy arrays (what OpenCV or a capture library hands you).  The session starts with video paused and
``video_frame_detail="low"``; the app resumes video and offers every frame, the SDK sends at most
``--fps`` of them a second (the latest of each window, as JPEG, downscaled to what "low" can use), and
the model is asked about what it sees twice, the square having moved in between.  Then video is paused:
the camera keeps running, but no frame is sent.

    python examples/describe_camera.py [--fps 2] [--paused-seconds 1]

Encoding frames needs Pillow: pip install 'realtime-sdk[video]'.  Without OPENAI_API_KEY it talks to the
bundled local server, whose model answers with the size of the image it received.
"""

import argparse
import asyncio

import numpy as np

from realtime_sdk import RealtimeSession
from realtime_sdk.events import ConversationItemAdded
from realtime_sdk.server import openai_or_local

WIDTH, HEIGHT, SIDE = 640, 480, 96
CAMERA_FPS = 30
QUESTION = "In one short sentence: what do you see, and where in the picture is it?"


class Camera:
    """30 frames a second of a red square crossing the picture; counts what the session accepted."""

    def __init__(self) -> None:
        self.index = 0
        self.offered = 0
        self.accepted = 0

    def frame(self) -> np.ndarray:
        picture = np.empty((HEIGHT, WIDTH, 3), dtype=np.uint8)
        picture[:] = (20, 30, 90)  # dark blue
        x = (self.index * 8) % (WIDTH - SIDE)
        y = (HEIGHT - SIDE) // 2
        picture[y : y + SIDE, x : x + SIDE] = (220, 30, 30)  # red
        return picture

    async def run(self, session: RealtimeSession) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        while True:
            # Offered as fast as the camera delivers them: the SDK keeps only the latest of each window.
            accepted = await session.send_video_frame(self.frame())
            self.offered += 1
            self.accepted += accepted
            self.index += 1
            # A real camera delivers frames at its own pace: this is pacing, not synchronisation.
            await asyncio.sleep(max(0.0, start + self.index / CAMERA_FPS - loop.time()))


class FrameItems:
    """Counts the frame items (user messages with an image) the server added to the conversation."""

    def __init__(self) -> None:
        self.count = 0
        self._changed = asyncio.Condition()

    async def on_added(self, event: ConversationItemAdded) -> None:
        content = getattr(event.item, "content", None) or []
        if any(getattr(part, "type", None) == "input_image" for part in content):
            async with self._changed:
                self.count += 1
                self._changed.notify_all()

    async def wait_for(self, count: int) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self.count >= count)


async def ask(session: RealtimeSession, question: str | None = None) -> None:
    """Ask about the latest frame (``QUESTION`` as instructions), or ``question`` as a user message."""
    if question is None:
        response = await session.create_response(instructions=QUESTION)
    else:
        print(f"user: {question}")
        await session.add_item(question)
        response = await session.create_response()
    print(f"model: {await response.text()}")


async def main(fps: float, paused_seconds: float) -> None:
    camera, frames = Camera(), FrameItems()
    async with (
        openai_or_local() as endpoint,
        RealtimeSession(
            **endpoint,
            session_properties={"output_modalities": ["text"]},
            start_video_paused=True,
            video_frame_detail="low",
            video_fps=fps,
        ) as session,
    ):
        session.on(ConversationItemAdded, frames.on_added)
        filming = asyncio.create_task(camera.run(session))
        try:
            async with asyncio.timeout(60):  # a hang guard
                await asyncio.sleep(0.2)  # the camera runs, video is paused: nothing is sent
                print(f"paused at start: {camera.offered} frames offered, {camera.accepted} accepted")

                session.resume_video()
                print(f"video resumed at {fps:g} frames a second")
                await frames.wait_for(1)  # the first frame is in the conversation
                print(f"camera: square at x={(camera.index * 8) % (WIDTH - SIDE)}")
                await ask(session)
                await frames.wait_for(frames.count + 2)  # the square has moved on
                print(f"camera: square at x={(camera.index * 8) % (WIDTH - SIDE)}")
                await ask(session)

                session.pause_video()
                # add_item is a round trip: a frame that was on its way before the pause has arrived after it.
                await ask(session, "Video is paused now. What was in the last picture you saw?")
                sent_before = frames.count
                camera.offered = camera.accepted = 0
                await asyncio.sleep(paused_seconds)  # the camera keeps running while video is paused
                sent = frames.count - sent_before
                print(
                    f"while paused: {camera.offered} frames offered, {camera.accepted} accepted, {sent} sent"
                )
        finally:
            filming.cancel()
            await asyncio.gather(filming, return_exceptions=True)
        print(f"{frames.count} frames sent in all")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description="Send a synthetic camera's frames and ask what the model sees."
    )
    parser.add_argument("--fps", type=float, default=2.0, help="video frames sent per second at most")
    parser.add_argument("--paused-seconds", type=float, default=1.0, help="how long the camera runs paused")
    args = parser.parse_args()
    asyncio.run(main(args.fps, args.paused_seconds))
