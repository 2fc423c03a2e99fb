"""A phone receptionist: answers SIP calls to the Realtime API and transfers callers who ask for a person.

The phone network reaches the Realtime API over OpenAI's SIP trunking; for each call OpenAI posts a signed
``realtime.call.incoming`` webhook to this aiohttp app. The app verifies it (``webhooks.unwrap``), accepts
the call with instructions and a ``transfer_call`` tool (``calls.accept``), and attaches a sideband
session to it (``RealtimeSession.attach``): the caller's audio stays on the call, the app follows the
conversation and runs the tool. When the caller asks for sales or support, the model calls the tool, says
it is transferring them, and once the caller has heard that (``output_audio_buffer.stopped``) the app
transfers the call (``calls.refer``).

    python examples/sip_receptionist.py

With OPENAI_API_KEY and OPENAI_WEBHOOK_SECRET set it serves ``POST /webhooks/openai`` on port 8000 (point
the project's webhook there). Without them it runs one call against the bundled local server: the server
rings the app, and the caller's words arrive as text (the local call carries no audio); its echo model
calls a tool only when told to in so many words, ``call NAME({json})``, so the caller says that.
"""

import asyncio
import os
from typing import Literal

from aiohttp import web

from realtime_sdk import (
    ConnectionClosed,
    RealtimeSession,
    Tool,
    ToolCallStarted,
    calls,
    events,
    tool,
    webhooks,
)
from realtime_sdk.errors import WebhookVerificationError
from realtime_sdk.server import LocalRealtimeServer

INSTRUCTIONS = (
    "You are the receptionist of Example Corp. Greet the caller, find out what they need and, when they "
    "ask for sales or support, transfer them with the transfer_call tool; tell them you are doing so."
)
DESKS = {"sales": "tel:+14155550101", "support": "sip:support@pbx.example.com"}
"""Where each department answers: a phone number or a SIP address of the company's own PBX."""

WEBHOOK_PATH = "/webhooks/openai"


class Call:
    """One answered call: its sideband session, and a transfer the model asked for."""

    def __init__(self, app: "Receptionist", call_id: str) -> None:
        self.app = app
        self.call_id = call_id
        self.transfer_to: str | None = None
        self.greeted = asyncio.Event()  # the greeting is over (the offline caller waits for it)

    def transfer_tool(self) -> Tool:
        @tool
        def transfer_call(department: Literal["sales", "support"]) -> dict[str, str]:
            """Transfer the caller to a department's desk."""
            # The transfer itself waits until the caller has heard the model announce it.
            self.transfer_to = DESKS[department]
            return {"status": "transferring", "department": department}

        return transfer_call

    async def run(self) -> None:
        key, base = self.app.api_key, self.app.api_base
        await calls.accept(
            self.call_id, session_properties=self.app.accept_properties, api_key=key, base_url=base
        )
        print(f"accepted {self.call_id}")
        # The tool was given at accept; attaching with it lets the SDK run it (and answer the model).
        session = RealtimeSession.attach(
            self.call_id, key, base_url=self.app.realtime_url, tools=[self.transfer_tool()]
        )
        async with session:
            server_session = session.server_session
            print(f"sideband attached: {server_session.id if server_session else '?'}")

            @session.on(ToolCallStarted)
            def started(event: ToolCallStarted) -> None:
                print(f"  -> {event.call.name}({event.call.arguments})")

            @session.on(events.ResponseOutputAudioTranscriptDone)
            def said(event: events.ResponseOutputAudioTranscriptDone) -> None:
                print(f"assistant: {event.transcript}")

            @session.on(events.OutputAudioBufferStopped)
            async def heard(event: events.OutputAudioBufferStopped) -> None:
                if self.transfer_to is not None:  # the caller heard the announcement: put them through
                    target, self.transfer_to = self.transfer_to, None
                    await calls.refer(self.call_id, target_uri=target, api_key=key, base_url=base)
                    print(f"transferred {self.call_id} to {target}")

            @session.on_dtmf
            def pressed(digit: str, received_at: int) -> None:
                print(f"caller pressed {digit}")

            greeting = await session.create_response(instructions="Greet the caller and ask how to help.")
            await greeting.done()
            self.greeted.set()
            try:
                async for _ in session:  # until the call ends (hangup, or the transfer took it away)
                    pass
            except ConnectionClosed as closed:
                print(f"call {self.call_id} left the session: {closed.reason or closed.code}")


class Receptionist:
    """The aiohttp app: one webhook route; each incoming call is answered in a task of its own."""

    def __init__(self, *, webhook_secret: str, api_key: str, api_base: str, realtime_url: str) -> None:
        self.webhook_secret = webhook_secret
        self.api_key = api_key
        self.api_base = api_base
        self.realtime_url = realtime_url
        self.accept_properties = {
            "instructions": INSTRUCTIONS,
            "tools": [t.definition for t in [Call(self, "").transfer_tool()]],
        }
        self.calls: dict[str, Call] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.app = web.Application()
        self.app.router.add_post(WEBHOOK_PATH, self.webhook)
        self.app.on_cleanup.append(self._finish)

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.read()  # the exact bytes: the signature covers them
        try:
            event = webhooks.unwrap(body, request.headers, secret=self.webhook_secret)
        except WebhookVerificationError as exc:
            print(f"webhook refused: {exc}")
            return web.Response(status=400)
        if isinstance(event, events.WebhookRealtimeCallIncoming):
            caller = next((h.value for h in event.data.sip_headers if h.name == "From"), "unknown")
            print(f"webhook: {event.type} {event.data.call_id} from {caller}")
            call = self.calls[event.data.call_id] = Call(self, event.data.call_id)
            task = asyncio.create_task(call.run())
            self.tasks.add(task)
            task.add_done_callback(self._call_over)
        return web.Response(status=200)  # answer at once; the call is handled in its task

    def _call_over(self, task: "asyncio.Task[None]") -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            print(f"call failed: {task.exception()!r}")  # a real app logs it and alerts someone

    async def _finish(self, _app: web.Application) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def serve_forever() -> None:
    app = Receptionist(
        webhook_secret=os.environ["OPENAI_WEBHOOK_SECRET"],
        api_key=os.environ["OPENAI_API_KEY"],
        api_base="https://api.openai.com/v1",
        realtime_url="wss://api.openai.com/v1/realtime",
    )
    runner = web.AppRunner(app.app)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", 8000).start()
    print(f"receptionist listening on :8000{WEBHOOK_PATH}")
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def start(app: Receptionist) -> tuple[web.AppRunner, str]:
    """Serve ``app`` on a free local port; returns the runner and the webhook URL."""
    runner = web.AppRunner(app.app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}{WEBHOOK_PATH}"


async def demo() -> None:
    """One call, offline: the local server rings the app, the caller asks for sales, the app transfers."""
    async with LocalRealtimeServer() as server:
        app = Receptionist(
            webhook_secret=server.call_control.webhook_secret,
            api_key=server.api_key or "",
            api_base=server.http_url,
            realtime_url=server.url,
        )
        runner, url = await start(app)
        try:
            ringing = await server.call_control.ring(url)
            call = app.calls[ringing.call_id]
            greeted = asyncio.ensure_future(call.greeted.wait())
            await asyncio.wait([greeted, *app.tasks], timeout=10, return_when=asyncio.FIRST_COMPLETED)
            if not greeted.done():
                greeted.cancel()
                raise SystemExit("the call was not answered")
            request = 'Put me through to sales, please: call transfer_call({"department": "sales"})'
            print(f"caller: {request}")
            server.call_control.say(call.call_id, request)
            done = await server.call_control.wait_for_status(call.call_id, "referred", "ended")
            print(f"call {done.call_id}: {done.status} to {', '.join(done.extra['referred_to'])}")
            await asyncio.wait_for(asyncio.gather(*app.tasks), 10)
        finally:
            await runner.cleanup()


async def main() -> None:
    if os.environ.get("OPENAI_API_KEY") and os.environ.get("OPENAI_WEBHOOK_SECRET"):
        await serve_forever()
    else:
        await demo()


if __name__ == "__main__":
    asyncio.run(main())
